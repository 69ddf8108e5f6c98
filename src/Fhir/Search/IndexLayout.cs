using System.Collections.Concurrent;
using PatientStream.Fhir.Definitions;

namespace PatientStream.Fhir.Search;

/// <summary>Where a parameter's values live in the index tables: under these stored parameters, optionally only
/// rows whose reference target is <paramref name="TargetType"/>.</summary>
public sealed record IndexTarget(IReadOnlyList<string> StoredParams, string? TargetType);

/// <summary>
/// Parameters whose values are exactly those of other parameters are not indexed twice: Observation's
/// <c>combo-code</c> is <c>code</c> ∪ <c>component-code</c>, and <c>patient</c> is <c>subject</c> restricted to
/// Patient targets. Such a parameter is answered from the rows of the parameters it is made of, which keeps a
/// typical Observation at two thirds of the index rows.
/// </summary>
public sealed class IndexLayout(FhirDefinitions definitions)
{
    private readonly ConcurrentDictionary<string, Dictionary<string, IndexTarget>> _aliases = new(StringComparer.Ordinal);

    public static IndexLayout For(FhirDefinitions definitions) => Layouts.GetOrAdd(definitions, d => new IndexLayout(d));

    private static readonly ConcurrentDictionary<FhirDefinitions, IndexLayout> Layouts = new();

    /// <summary>True when the parameter's values are written to the index tables under its own name.</summary>
    public bool IsStored(string type, string param) => !Aliases(type).ContainsKey(param);

    public IndexTarget Resolve(string type, string param) =>
        Aliases(type).TryGetValue(param, out var target) ? target : new IndexTarget([param], null);

    private Dictionary<string, IndexTarget> Aliases(string type) => _aliases.GetOrAdd(type, Build);

    private Dictionary<string, IndexTarget> Build(string type)
    {
        var indexed = definitions.SearchParameters(type).Values
            .Where(sp => sp.Indexed && sp.Name is not ("_id" or "_lastUpdated"))
            .OrderBy(sp => sp.Name, StringComparer.Ordinal)
            .ToList();
        var aliases = new Dictionary<string, IndexTarget>(StringComparer.Ordinal);

        // Bases are parameters without a target restriction whose paths are not a union of others' paths.
        foreach (var sp in indexed)
        {
            var paths = sp.Paths.ToHashSet(StringComparer.Ordinal);
            if (sp.Paths.Count == 1 && sp.Paths[0].Split('@') is [var plain, var target])
            {
                var baseParam = indexed.FirstOrDefault(o => o.Type == sp.Type && o.Paths.Count == 1 && o.Paths[0] == plain);
                if (baseParam is not null)
                {
                    aliases[sp.Name] = new IndexTarget([baseParam.Name], target);
                }

                continue;
            }

            if (paths.Any(p => p.Contains('@', StringComparison.Ordinal)))
            {
                continue;
            }

            var parts = indexed
                .Where(o => o.Name != sp.Name && o.Type == sp.Type && o.Paths.All(paths.Contains) && !o.Paths.Any(p => p.Contains('@', StringComparison.Ordinal)))
                .Where(o => o.Paths.Count < paths.Count || string.CompareOrdinal(o.Name, sp.Name) < 0)
                .ToList();
            if (parts.Count > 0 && parts.SelectMany(o => o.Paths).ToHashSet(StringComparer.Ordinal).SetEquals(paths))
            {
                aliases[sp.Name] = new IndexTarget(parts.Select(o => o.Name).ToList(), null);
            }
        }

        // A part may itself be an alias (three parameters with equal paths): keep only parts that are stored.
        foreach (var (name, target) in aliases.ToList())
        {
            if (target.StoredParams.Any(aliases.ContainsKey))
            {
                aliases.Remove(name);
            }
        }

        return aliases;
    }
}
