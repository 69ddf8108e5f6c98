using System.Text.Json.Nodes;
using PatientStream.Fhir.Validation;

namespace PatientStream.Fhir.Service;

/// <summary>Builds OperationOutcome resources from issues (one issue per failing element, with its stable code).</summary>
public static class OperationOutcomes
{
    public static JsonObject From(IEnumerable<ValidationIssue> issues, string severity = "error")
    {
        var array = new JsonArray();
        foreach (var issue in issues)
        {
            var item = new JsonObject
            {
                ["severity"] = severity,
                ["code"] = issue.IssueType,
                ["details"] = new JsonObject
                {
                    ["coding"] = new JsonArray(new JsonObject { ["system"] = IssueCodes.System, ["code"] = issue.Code }),
                    ["text"] = issue.Message,
                },
                ["diagnostics"] = issue.Message,
            };
            if (issue.Expression.Length > 0)
            {
                item["expression"] = new JsonArray(issue.Expression);
            }

            array.Add(item);
        }

        if (array.Count == 0)
        {
            array.Add(new JsonObject { ["severity"] = "information", ["code"] = "informational", ["diagnostics"] = "All OK" });
        }

        return new JsonObject { ["resourceType"] = "OperationOutcome", ["issue"] = array };
    }

    public static JsonObject Information(string message) =>
        new() { ["resourceType"] = "OperationOutcome", ["issue"] = new JsonArray(new JsonObject { ["severity"] = "information", ["code"] = "informational", ["diagnostics"] = message }) };
}
