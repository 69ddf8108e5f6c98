using System.Text.Json;

namespace PatientStream.EdgeAgent.Simulation;

/// <summary>Reads the stable error code and text of a FHIR OperationOutcome the server answers a refusal with.</summary>
internal static class OperationOutcomeReader
{
    /// <summary>(code, text) of the first issue; nulls when the body is not an OperationOutcome.</summary>
    public static (string? Code, string? Text) Read(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("issue", out var issues)
                || issues.ValueKind != JsonValueKind.Array || issues.GetArrayLength() == 0)
            {
                return (null, null);
            }
            var issue = issues[0];
            string? code = null;
            string? text = null;
            if (issue.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Object)
            {
                if (details.TryGetProperty("coding", out var coding) && coding.ValueKind == JsonValueKind.Array && coding.GetArrayLength() > 0
                    && coding[0].TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String)
                {
                    code = c.GetString();
                }
                if (details.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    text = t.GetString();
                }
            }
            if (text is null && issue.TryGetProperty("diagnostics", out var d) && d.ValueKind == JsonValueKind.String)
            {
                text = d.GetString();
            }
            return (code, text);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
