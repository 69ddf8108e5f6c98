using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;

namespace PatientStream.Fhir.Search;

/// <summary>A value found at a reduced search path, with the FHIR type it has there.</summary>
public readonly record struct TypedNode(JsonNode Node, string TypeCode);

/// <summary>
/// Walks a reduced search path (<c>Type.a.b</c>, <c>telecom[system=phone]</c>, <c>subject@Patient</c>) over a
/// resource, using the definitions to follow choice elements and to know each value's type. Paths are compiled
/// once: each step is a direct property lookup, because indexing runs on every write.
/// </summary>
public static class ElementWalker
{
    private static readonly ConcurrentDictionary<string, CompiledPath> Paths = new(StringComparer.Ordinal);

    public static IEnumerable<TypedNode> Select(FhirDefinitions definitions, JsonObject resource, string path)
    {
        var results = new List<TypedNode>();
        Collect(definitions, resource, path, results);
        return results;
    }

    /// <summary>Appends the values at <paramref name="path"/> to <paramref name="results"/>.</summary>
    public static void Collect(FhirDefinitions definitions, JsonObject resource, string path, List<TypedNode> results)
    {
        Collect(definitions, resource, Paths.GetOrAdd(path, Compile), results);
    }

    public static void Collect(FhirDefinitions definitions, JsonObject resource, CompiledPath path, List<TypedNode> results)
    {
        ArgumentNullException.ThrowIfNull(path);
        Walk(definitions, resource, path.Root, path, 0, string.Empty, results);
    }

    private static void Walk(FhirDefinitions definitions, JsonNode node, string defPath, CompiledPath path, int index, string typeCode, List<TypedNode> results)
    {
        if (index == path.Segments.Length)
        {
            if (path.TargetType is null || RefersTo(node, path.TargetType))
            {
                results.Add(new TypedNode(node, typeCode));
            }

            return;
        }

        if (node is not JsonObject obj)
        {
            return;
        }

        var segment = path.Segments[index];
        foreach (var candidate in segment.Steps.GetOrAdd(defPath, (d, name) => Candidates(definitions, d, name), segment.Name))
        {
            if (!obj.TryGetPropertyValue(candidate.JsonName, out var value) || value is null)
            {
                continue;
            }

            if (value is JsonArray array)
            {
                foreach (var item in array)
                {
                    if (item is not null && Matches(item, segment))
                    {
                        Walk(definitions, item, candidate.NextDefPath, path, index + 1, candidate.TypeCode, results);
                    }
                }
            }
            else if (Matches(value, segment))
            {
                Walk(definitions, value, candidate.NextDefPath, path, index + 1, candidate.TypeCode, results);
            }
        }
    }

    private static bool Matches(JsonNode node, Segment segment) =>
        segment.FilterKey is null
        || (node is JsonObject o && o[segment.FilterKey] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == segment.FilterValue);

    private static bool RefersTo(JsonNode node, string targetType) =>
        node is JsonObject o && o["reference"] is JsonValue v && v.GetValueKind() == JsonValueKind.String
        && Validation.ReferenceRules.TryParse(v.GetValue<string>(), out var type, out _) && type == targetType;

    /// <summary>The JSON properties a path segment can be written as: the name itself, or each type of a choice.</summary>
    private static Candidate[] Candidates(FhirDefinitions definitions, string defPath, string name)
    {
        var list = new List<Candidate>();
        foreach (var (jsonName, match) in definitions.PropertyMap(defPath))
        {
            if (jsonName == name || (match.Element.IsChoice && match.Element.Name == name))
            {
                list.Add(new Candidate(jsonName, match.TypeCode, NextDefinitionPath(definitions, match)));
            }
        }

        return [.. list];
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

    public static CompiledPath Compile(string path)
    {
        var at = path.IndexOf('@', StringComparison.Ordinal);
        string? targetType = null;
        if (at >= 0)
        {
            targetType = path[(at + 1)..];
            path = path[..at];
        }

        var parts = path.Split('.');
        var segments = new Segment[parts.Length - 1];
        for (var i = 1; i < parts.Length; i++)
        {
            var s = parts[i];
            var open = s.IndexOf('[', StringComparison.Ordinal);
            if (open < 0)
            {
                segments[i - 1] = new Segment(s, null, null, new ConcurrentDictionary<string, Candidate[]>(StringComparer.Ordinal));
            }
            else
            {
                var eq = s.IndexOf('=', open);
                segments[i - 1] = new Segment(s[..open], s[(open + 1)..eq], s[(eq + 1)..^1], new ConcurrentDictionary<string, Candidate[]>(StringComparer.Ordinal));
            }
        }

        return new CompiledPath(parts[0], segments, targetType);
    }

    /// <summary>A reduced search path compiled for walking; each segment caches its candidates per definition path.</summary>
    public sealed class CompiledPath
    {
        internal CompiledPath(string root, Segment[] segments, string? targetType)
        {
            Root = root;
            Segments = segments;
            TargetType = targetType;
        }

        internal string Root { get; }

        internal Segment[] Segments { get; }

        internal string? TargetType { get; }
    }

    internal sealed record Segment(string Name, string? FilterKey, string? FilterValue, ConcurrentDictionary<string, Candidate[]> Steps);

    internal sealed record Candidate(string JsonName, string TypeCode, string NextDefPath);
}
