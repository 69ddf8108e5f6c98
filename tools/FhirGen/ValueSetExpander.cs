using System.Text.Json;

namespace PatientStream.FhirGen;

/// <summary>
/// Expands the value sets of required bindings into explicit code lists. Value sets that cannot be expanded
/// from the bundled definitions (filters, external code systems) yield null: the validator leaves them unchecked
/// rather than rejecting valid codes it cannot know.
/// </summary>
internal sealed class ValueSetExpander
{
    private readonly Dictionary<string, JsonElement> _valueSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonElement> _codeSystems = new(StringComparer.Ordinal);

    public ValueSetExpander(JsonElement bundle)
    {
        foreach (var entry in bundle.GetProperty("entry").EnumerateArray())
        {
            var r = entry.GetProperty("resource");
            var url = r.GetProperty("url").GetString()!;
            var target = r.GetProperty("resourceType").GetString() == "ValueSet" ? _valueSets : _codeSystems;
            target.TryAdd(url, r);
        }
    }

    public SortedSet<string>? Expand(string url) => Expand(url, 0);

    private SortedSet<string>? Expand(string url, int depth)
    {
        if (depth > 10 || !_valueSets.TryGetValue(url.Split('|')[0], out var vs) || !vs.TryGetProperty("compose", out var compose))
        {
            return null;
        }

        var codes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var include in compose.GetProperty("include").EnumerateArray())
        {
            var part = Include(include, depth);
            if (part is null)
            {
                return null;
            }

            codes.UnionWith(part);
        }

        if (compose.TryGetProperty("exclude", out var excludes))
        {
            foreach (var exclude in excludes.EnumerateArray())
            {
                var part = Include(exclude, depth);
                if (part is not null)
                {
                    codes.ExceptWith(part);
                }
            }
        }

        return codes;
    }

    private SortedSet<string>? Include(JsonElement include, int depth)
    {
        var codes = new SortedSet<string>(StringComparer.Ordinal);
        if (include.TryGetProperty("filter", out _))
        {
            return null;
        }

        if (include.TryGetProperty("valueSet", out var imports))
        {
            foreach (var imported in imports.EnumerateArray())
            {
                var part = Expand(imported.GetString()!, depth + 1);
                if (part is null)
                {
                    return null;
                }

                codes.UnionWith(part);
            }
        }

        if (!include.TryGetProperty("system", out var systemElement))
        {
            return codes;
        }

        var system = systemElement.GetString()!;
        if (include.TryGetProperty("concept", out var concepts))
        {
            foreach (var c in concepts.EnumerateArray())
            {
                codes.Add(system + "|" + c.GetProperty("code").GetString());
            }

            return codes;
        }

        if (!_codeSystems.TryGetValue(system, out var cs)
            || cs.GetProperty("content").GetString() != "complete"
            || !cs.TryGetProperty("concept", out var all))
        {
            return null;
        }

        AddConcepts(system, all, codes);
        return codes;
    }

    private static void AddConcepts(string system, JsonElement concepts, SortedSet<string> codes)
    {
        foreach (var c in concepts.EnumerateArray())
        {
            codes.Add(system + "|" + c.GetProperty("code").GetString());
            if (c.TryGetProperty("concept", out var children))
            {
                AddConcepts(system, children, codes);
            }
        }
    }
}
