using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;

namespace PatientStream.Fhir.Http;

/// <summary>
/// The CapabilityStatement, derived from the same definitions the server runs on, so that it lists exactly the
/// interactions, search parameters and includes that are implemented.
/// </summary>
public sealed class CapabilityStatementBuilder(FhirDefinitions definitions)
{
    private static readonly string[] Interactions = ["read", "vread", "update", "delete", "history-instance", "history-type", "create", "search-type"];
    private readonly Lazy<JsonObject> _template = new(() => BuildTemplate(definitions));

    public JsonObject Build(string baseUrl)
    {
        var statement = (JsonObject)_template.Value.DeepClone();
        statement["implementation"] = new JsonObject { ["description"] = "PatientStream FHIR R4 server", ["url"] = baseUrl };
        return statement;
    }

    private static JsonObject BuildTemplate(FhirDefinitions definitions)
    {
        var resources = new JsonArray();
        foreach (var type in definitions.ResourceTypes.Order(StringComparer.Ordinal))
        {
            resources.Add(Resource(definitions, type));
        }

        var rest = new JsonObject
        {
            ["mode"] = "server",
            ["resource"] = resources,
            ["interaction"] = new JsonArray(Code("transaction"), Code("batch"), Code("history-system")),
        };
        return new JsonObject
        {
            ["resourceType"] = "CapabilityStatement",
            ["status"] = "active",
            ["date"] = "2026-11-21",
            ["publisher"] = "PatientStream",
            ["kind"] = "instance",
            ["software"] = new JsonObject { ["name"] = "PatientStream FHIR server" },
            ["fhirVersion"] = "4.0.1",
            ["format"] = new JsonArray("json", "application/fhir+json"),
            ["rest"] = new JsonArray(rest),
        };
    }

    private static JsonObject Resource(FhirDefinitions definitions, string type)
    {
        var parameters = definitions.SearchParameters(type);
        var searchable = parameters.Values
            .Where(sp => sp.Indexed || sp.Name is "_id" or "_lastUpdated")
            .OrderBy(sp => sp.Name, StringComparer.Ordinal)
            .ToList();
        var searchParams = new JsonArray();
        foreach (var sp in searchable)
        {
            searchParams.Add(new JsonObject { ["name"] = sp.Name, ["type"] = sp.Type.ToString().ToLowerInvariant() });
        }

        var includes = new JsonArray();
        foreach (var sp in searchable.Where(sp => sp.Type == SearchParamType.Reference))
        {
            includes.Add($"{type}:{sp.Name}");
        }

        var interactions = new JsonArray();
        foreach (var i in Interactions)
        {
            interactions.Add(Code(i));
        }

        var resource = new JsonObject
        {
            ["type"] = type,
            ["interaction"] = interactions,
            ["versioning"] = "versioned",
            ["readHistory"] = true,
            ["updateCreate"] = true,
            ["conditionalCreate"] = true,
            ["conditionalRead"] = "not-supported",
            ["conditionalUpdate"] = true,
            ["conditionalDelete"] = "not-supported",
            ["searchInclude"] = includes,
            ["searchParam"] = searchParams,
        };
        if (type == "Patient")
        {
            resource["operation"] = new JsonArray(new JsonObject { ["name"] = "everything", ["definition"] = "http://hl7.org/fhir/OperationDefinition/Patient-everything" });
        }

        return resource;
    }

    private static JsonObject Code(string code) => new() { ["code"] = code };
}
