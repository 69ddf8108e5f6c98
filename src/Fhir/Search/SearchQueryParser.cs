using System.Globalization;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Errors;

namespace PatientStream.Fhir.Search;

/// <summary>Parses FHIR search parameters (query string or _search form body) against the generated definitions.</summary>
public sealed class SearchQueryParser(FhirDefinitions definitions)
{
    public const int DefaultCount = 20;
    public const int MaxCount = 1000;

    private static readonly SearchParameterDefinition HasParameter = new("_has", SearchParamType.Special, false, [], []);

    /// <summary>Result-shaping parameters the HTTP layer handles itself.</summary>
    private static readonly HashSet<string> TransportParameters = new(StringComparer.Ordinal) { "_format", "_pretty" };

    private static readonly Dictionary<SearchParamType, string[]> AllowedModifiers = new()
    {
        [SearchParamType.String] = ["exact", "contains", "missing"],
        [SearchParamType.Token] = ["missing", "not", "text"],
        [SearchParamType.Reference] = ["missing", "identifier"],
        [SearchParamType.Date] = ["missing"],
        [SearchParamType.Number] = ["missing"],
        [SearchParamType.Quantity] = ["missing"],
        [SearchParamType.Uri] = ["missing", "below", "above"],
    };

    public SearchQuery Parse(string resourceType, IEnumerable<KeyValuePair<string, string>> parameters, bool strict)
    {
        var criteria = new List<SearchCriterion>();
        var sort = new List<SortKey>();
        var includes = new List<IncludeSpec>();
        var revIncludes = new List<IncludeSpec>();
        var ignored = new List<string>();
        var query = new SearchQuery(resourceType, criteria);
        foreach (var (key, value) in parameters)
        {
            switch (key)
            {
                case "_count":
                    query = query with { Count = ParseCount(value) };
                    break;
                case "_sort":
                    sort.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => ParseSort(resourceType, s)));
                    break;
                case "_include" or "_include:iterate" or "_include:recurse":
                    includes.Add(ParseInclude(value, key.Contains(':', StringComparison.Ordinal)));
                    break;
                case "_revinclude" or "_revinclude:iterate" or "_revinclude:recurse":
                    revIncludes.Add(ParseInclude(value, key.Contains(':', StringComparison.Ordinal)));
                    break;
                case "_summary":
                    query = query with { Summary = ParseSummary(value) };
                    break;
                case "_total":
                    query = query with { Total = ParseTotal(value) };
                    break;
                case "_elements":
                    query = query with { Elements = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
                    break;
                default:
                    if (TransportParameters.Contains(key))
                    {
                        break;
                    }

                    var criterion = ParseCriterion(resourceType, key, SplitValues(value));
                    if (criterion is not null)
                    {
                        criteria.Add(criterion);
                    }
                    else if (strict)
                    {
                        throw new BadRequestException("UNKNOWN_PARAMETER", $"Unknown or unsupported search parameter '{key}' for {resourceType}.");
                    }
                    else
                    {
                        ignored.Add(key);
                    }

                    break;
            }
        }

        return query with { Sort = sort, Includes = includes, RevIncludes = revIncludes, Ignored = ignored };
    }

    /// <summary>A criterion, or null when the parameter is unknown (modifier errors throw: they are never silently ignored).</summary>
    private SearchCriterion? ParseCriterion(string resourceType, string key, IReadOnlyList<string> values)
    {
        if (key.StartsWith("_has:", StringComparison.Ordinal))
        {
            return ParseHas(key, values);
        }

        var dot = key.IndexOf('.', StringComparison.Ordinal);
        var head = dot < 0 ? key : key[..dot];
        var colon = head.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? head : head[..colon];
        var modifier = colon < 0 ? null : head[(colon + 1)..];
        if (!definitions.SearchParameters(resourceType).TryGetValue(name, out var sp) || !IsSearchable(sp))
        {
            return null;
        }

        if (dot >= 0)
        {
            return ParseChain(sp, name, modifier, key[(dot + 1)..], values);
        }

        if (modifier is not null && !IsAllowedModifier(sp, modifier))
        {
            throw new BadRequestException("UNSUPPORTED_MODIFIER", $"Modifier ':{modifier}' is not supported on {sp.Type.ToString().ToLowerInvariant()} parameter '{name}'.");
        }

        if (modifier == "missing" && values.Any(v => v is not ("true" or "false")))
        {
            throw new BadRequestException("INVALID_VALUE", $"':missing' takes true or false.");
        }

        return new SearchCriterion(name, sp, modifier, values);
    }

    private SearchCriterion ParseChain(SearchParameterDefinition sp, string name, string? typeModifier, string rest, IReadOnlyList<string> values)
    {
        if (sp.Type != SearchParamType.Reference)
        {
            throw new BadRequestException("INVALID_CHAIN", $"'{name}' is not a reference parameter and cannot be chained.");
        }

        var targets = typeModifier is not null ? [typeModifier] : sp.Targets;
        var links = new List<ChainLink>();
        foreach (var target in targets.Where(definitions.IsResourceType))
        {
            var nested = ParseCriterion(target, rest, values);
            if (nested is not null)
            {
                links.Add(new ChainLink(target, nested));
            }
        }

        return links.Count == 0
            ? throw new BadRequestException("INVALID_CHAIN", $"No target of '{name}' supports the chained parameter '{rest}'.")
            : new SearchCriterion(name, sp, typeModifier, values) { Chain = links };
    }

    private HasCriterion? ParseHasParts(string key, IReadOnlyList<string> values)
    {
        var parts = key.Split(':', 4);
        if (parts.Length < 4 || !definitions.IsResourceType(parts[1]))
        {
            throw new BadRequestException("INVALID_HAS", $"'{key}' is not of the form _has:Type:reference:parameter.");
        }

        if (!definitions.SearchParameters(parts[1]).TryGetValue(parts[2], out var reference) || reference.Type != SearchParamType.Reference)
        {
            throw new BadRequestException("INVALID_HAS", $"'{parts[2]}' is not a reference parameter of {parts[1]}.");
        }

        var nested = ParseCriterion(parts[1], parts[3], values)
            ?? throw new BadRequestException("INVALID_HAS", $"'{parts[3]}' is not a search parameter of {parts[1]}.");
        return new HasCriterion(parts[1], parts[2], nested);
    }

    private SearchCriterion ParseHas(string key, IReadOnlyList<string> values) =>
        new("_has", HasParameter, null, values) { Has = ParseHasParts(key, values) };

    private static bool IsSearchable(SearchParameterDefinition sp) => sp.Indexed || sp.Name is "_id" or "_lastUpdated";

    private bool IsAllowedModifier(SearchParameterDefinition sp, string modifier) =>
        (AllowedModifiers.TryGetValue(sp.Type, out var allowed) && allowed.Contains(modifier))
        || (sp.Type == SearchParamType.Reference && definitions.IsResourceType(modifier) && (sp.Targets.Count == 0 || sp.Targets.Contains(modifier)));

    private SortKey ParseSort(string resourceType, string item)
    {
        var descending = item.StartsWith('-');
        var name = descending ? item[1..] : item;
        if (!definitions.SearchParameters(resourceType).TryGetValue(name, out var sp) || !IsSearchable(sp)
            || sp.Type is SearchParamType.Composite or SearchParamType.Special)
        {
            throw new BadRequestException("INVALID_SORT", $"Cannot sort {resourceType} by '{name}'.");
        }

        return new SortKey(sp, descending);
    }

    private IncludeSpec ParseInclude(string value, bool iterate)
    {
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || !definitions.IsResourceType(parts[0]))
        {
            throw new BadRequestException("INVALID_INCLUDE", $"'{value}' is not of the form Type:parameter[:targetType].");
        }

        if (parts[1] != "*" && (!definitions.SearchParameters(parts[0]).TryGetValue(parts[1], out var sp) || sp.Type != SearchParamType.Reference))
        {
            throw new BadRequestException("INVALID_INCLUDE", $"'{parts[1]}' is not a reference parameter of {parts[0]}.");
        }

        var target = parts.Length == 3 ? parts[2] : null;
        if (target is not null && !definitions.IsResourceType(target))
        {
            throw new BadRequestException("INVALID_INCLUDE", $"'{target}' is not a resource type.");
        }

        return new IncludeSpec(parts[0], parts[1], target, iterate);
    }

    private static int ParseCount(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? Math.Min(n, MaxCount)
            : throw new BadRequestException("INVALID_COUNT", $"_count must be a non-negative integer, not '{value}'.");

    private static SummaryMode ParseSummary(string value) => value switch
    {
        "count" => SummaryMode.Count,
        "true" => SummaryMode.True,
        "text" => SummaryMode.Text,
        "data" => SummaryMode.Data,
        "false" => SummaryMode.None,
        _ => throw new BadRequestException("INVALID_SUMMARY", $"_summary must be count, true, text, data or false, not '{value}'."),
    };

    private static TotalMode ParseTotal(string value) => value switch
    {
        "none" => TotalMode.None,
        "estimate" => TotalMode.Estimate,
        "accurate" => TotalMode.Accurate,
        _ => throw new BadRequestException("INVALID_TOTAL", $"_total must be none, estimate or accurate, not '{value}'."),
    };

    /// <summary>Splits a value on commas (OR), keeping escaped commas (<c>\,</c>) inside values.</summary>
    public static IReadOnlyList<string> SplitValues(string value)
    {
        var result = new List<string>();
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length && value[i + 1] == ',')
            {
                current.Append(value[++i]);
            }
            else if (value[i] == ',')
            {
                result.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(value[i]);
            }
        }

        result.Add(current.ToString());
        return result;
    }
}
