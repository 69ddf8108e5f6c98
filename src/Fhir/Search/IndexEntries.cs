namespace PatientStream.Fhir.Search;

/// <summary>Index rows for one resource version, one list per index table.</summary>
public sealed class IndexEntries
{
    public List<StringIndex> Strings { get; } = [];

    public List<TokenIndex> Tokens { get; } = [];

    public List<ReferenceIndex> References { get; } = [];

    public List<DateIndex> Dates { get; } = [];

    public List<QuantityIndex> Quantities { get; } = [];

    public List<UriIndex> Uris { get; } = [];

    public List<NumberIndex> Numbers { get; } = [];
}

/// <param name="Normalized">lower case without diacritics: what plain and :contains search compare.</param>
/// <param name="Exact">as written: what :exact compares.</param>
public sealed record StringIndex(string Param, string Normalized, string Exact);

/// <param name="Text">normalized display/text, for :text.</param>
public sealed record TokenIndex(string Param, string? System, string? Code, string? Text);

/// <param name="TargetType">set for relative and RESTful absolute references.</param>
/// <param name="Url">the reference as written (absolute URLs, canonicals).</param>
public sealed record ReferenceIndex(string Param, string? TargetType, string? TargetId, string Url);

/// <summary>A date range in UTC ticks, both ends inclusive.</summary>
public sealed record DateIndex(string Param, long Low, long High);

public sealed record QuantityIndex(string Param, string? System, string? Code, decimal Value);

public sealed record UriIndex(string Param, string Uri);

public sealed record NumberIndex(string Param, decimal Value);
