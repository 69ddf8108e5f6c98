using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PatientStream.Ingest.Clinical;

/// <summary>How EHR Bundles name resources: FHIR references (relative, absolute, urn:uuid, #contained) and logical ones.</summary>
internal static partial class ClinicalReferences
{
    /// <summary>The Type and id a relative (<c>Type/id[/_history/v]</c>) or RESTful absolute reference names.</summary>
    public static bool TryTarget(string reference, out string type, out string id)
    {
        var match = reference.Contains("://", StringComparison.Ordinal) ? AbsoluteTail().Match(reference) : Relative().Match(reference);
        type = match.Success ? match.Groups[1].Value : string.Empty;
        id = match.Success ? match.Groups[2].Value : string.Empty;
        return match.Success;
    }

    public static bool IsUrn(string reference) =>
        reference.StartsWith("urn:uuid:", StringComparison.Ordinal) || reference.StartsWith("urn:oid:", StringComparison.Ordinal);

    /// <summary>
    /// A Reference is an object with a <c>reference</c> string, or with an <c>identifier</c> object (a logical reference):
    /// in the resource types merged here, every other <c>identifier</c> is an array.
    /// </summary>
    public static bool IsReference(JsonObject node) => ReferenceText(node) is not null || node["identifier"] is JsonObject;

    public static string? ReferenceText(JsonObject node) =>
        node["reference"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>The value of a logical reference's identifier in <paramref name="system"/>, if it has one.</summary>
    public static string? LogicalIdentifier(JsonObject reference, string system) =>
        reference["identifier"] is JsonObject identifier && Text(identifier["system"]) == system ? Text(identifier["value"]) : null;

    /// <summary>Every Reference inside <paramref name="node"/>, depth first (a Reference's own children included).</summary>
    public static IEnumerable<JsonObject> All(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (IsReference(obj))
                {
                    yield return obj;
                }
                foreach (var (name, child) in obj)
                {
                    // Contained resources refer to each other with #ids that stay as they are.
                    if (name != "contained")
                    {
                        foreach (var inner in All(child))
                        {
                            yield return inner;
                        }
                    }
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    foreach (var inner in All(child))
                    {
                        yield return inner;
                    }
                }
                break;
            default:
                break;
        }
    }

    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    [GeneratedRegex(@"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-\.]{1,64})(/_history/[A-Za-z0-9\-\.]{1,64})?$")]
    private static partial Regex Relative();

    [GeneratedRegex(@"^https?://[^?#]*/([A-Z][A-Za-z]+)/([A-Za-z0-9\-\.]{1,64})(/_history/[A-Za-z0-9\-\.]{1,64})?$")]
    private static partial Regex AbsoluteTail();
}
