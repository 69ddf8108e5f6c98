using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;

namespace PatientStream.Fhir.Search;

/// <summary>A value found at a reduced search path, with the FHIR type it has there.</summary>
public readonly record struct TypedNode(JsonNode Node, string TypeCode);

/// <summary>
/// Walks a reduced search path (<c>Type.a.b</c>, <c>telecom[system=phone]</c>, <c>subject@Patient</c>) over a
/// resource, using the definitions to follow choice elements and to know each value's type.
/// </summary>
public static class ElementWalker
{
    public static IEnumerable<TypedNode> Select(FhirDefinitions definitions, JsonObject resource, string path)
    {
        var at = path.IndexOf('@', StringComparison.Ordinal);
        string? targetType = null;
        if (at >= 0)
        {
            targetType = path[(at + 1)..];
            path = path[..at];
        }

        var segments = path.Split('.');
        IEnumerable<(JsonNode Node, string DefPath, string TypeCode)> current = [(resource, segments[0], segments[0])];
        for (var i = 1; i < segments.Length; i++)
        {
            var (name, filterKey, filterValue) = ParseSegment(segments[i]);
            current = current.SelectMany(c => Step(definitions, c.Node, c.DefPath, name)).ToList();
            if (filterKey is not null)
            {
                current = current.Where(c => c.Node is JsonObject o && o[filterKey] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == filterValue).ToList();
            }
        }

        foreach (var (node, _, typeCode) in current)
        {
            if (targetType is not null && !RefersTo(node, targetType))
            {
                continue;
            }

            yield return new TypedNode(node, typeCode);
        }
    }

    private static bool RefersTo(JsonNode node, string targetType) =>
        node is JsonObject o && o["reference"] is JsonValue v && v.GetValueKind() == JsonValueKind.String
        && Validation.ReferenceRules.TryParse(v.GetValue<string>(), out var type, out _) && type == targetType;

    private static (string Name, string? Key, string? Value) ParseSegment(string segment)
    {
        var open = segment.IndexOf('[', StringComparison.Ordinal);
        if (open < 0)
        {
            return (segment, null, null);
        }

        var eq = segment.IndexOf('=', open);
        return (segment[..open], segment[(open + 1)..eq], segment[(eq + 1)..^1]);
    }

    private static IEnumerable<(JsonNode Node, string DefPath, string TypeCode)> Step(FhirDefinitions definitions, JsonNode node, string defPath, string name)
    {
        if (node is not JsonObject obj)
        {
            yield break;
        }

        var map = definitions.PropertyMap(defPath);
        foreach (var (prop, value) in obj)
        {
            if (value is null || !map.TryGetValue(prop, out var match))
            {
                continue;
            }

            // A name may address the whole choice (effective) or one of its types (effectiveDateTime).
            if (prop != name && (match.Element.Name != name || !match.Element.IsChoice))
            {
                continue;
            }

            var next = NextDefinitionPath(definitions, match);
            if (value is JsonArray array)
            {
                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        yield return (item, next, match.TypeCode);
                    }
                }
            }
            else
            {
                yield return (value, next, match.TypeCode);
            }
        }
    }

    private static string NextDefinitionPath(FhirDefinitions definitions, ElementMatch match)
    {
        if (match.Element.ContentReference is { } cr)
        {
            return cr;
        }

        return match.TypeCode is "BackboneElement" or "Element" && definitions.Children(match.Element.Path).Count > 0
            ? match.Element.Path
            : match.TypeCode;
    }
}
