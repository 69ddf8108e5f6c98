using PatientStream.Fhir.Definitions;

namespace PatientStream.Fhir.Search;

/// <summary>A parsed search: criteria are ANDed; each criterion's values are ORed.</summary>
public sealed record SearchQuery(string ResourceType, IReadOnlyList<SearchCriterion> Criteria)
{
    public int Count { get; init; } = SearchQueryParser.DefaultCount;

    public IReadOnlyList<SortKey> Sort { get; init; } = [];

    public IReadOnlyList<IncludeSpec> Includes { get; init; } = [];

    public IReadOnlyList<IncludeSpec> RevIncludes { get; init; } = [];

    public SummaryMode Summary { get; init; } = SummaryMode.None;

    public TotalMode Total { get; init; } = TotalMode.Accurate;

    public IReadOnlyList<string>? Elements { get; init; }

    /// <summary>Parameters that were not understood and were ignored (reported back in the Bundle).</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];
}

/// <summary>
/// One search criterion. Exactly one of: a plain parameter test (<see cref="Values"/>), a chain
/// (<see cref="Chain"/>: the reference's target, of one of several types, matches a criterion), or a reverse chain
/// (<see cref="Has"/>).
/// </summary>
public sealed record SearchCriterion(string Name, SearchParameterDefinition Parameter, string? Modifier, IReadOnlyList<string> Values)
{
    public IReadOnlyList<ChainLink> Chain { get; init; } = [];

    public HasCriterion? Has { get; init; }
}

public sealed record ChainLink(string TargetType, SearchCriterion Criterion);

/// <summary><c>_has:Type:param:criterion</c>: resources referred to by <paramref name="SourceType"/> through <paramref name="ReferenceParameter"/>.</summary>
public sealed record HasCriterion(string SourceType, string ReferenceParameter, SearchCriterion Criterion);

public sealed record SortKey(SearchParameterDefinition Parameter, bool Descending);

/// <summary><c>_include=Source:param[:Target]</c> or <c>_revinclude=...</c>, optionally <c>:iterate</c>.</summary>
public sealed record IncludeSpec(string SourceType, string Parameter, string? TargetType, bool Iterate)
{
    public bool IsWildcard => Parameter == "*";
}

public enum SummaryMode
{
    None,
    Count,
    True,
    Text,
    Data,
}

public enum TotalMode
{
    None,
    Estimate,
    Accurate,
}
