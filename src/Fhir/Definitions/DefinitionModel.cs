namespace PatientStream.Fhir.Definitions;

/// <summary>One element of a type's tree, as generated from the official snapshot.</summary>
public sealed record ElementDefinition(
    string Path,
    string Name,
    int Min,
    string Max,
    IReadOnlyList<string> Types,
    string? RequiredValueSet,
    IReadOnlyList<string> TargetTypes,
    string? ContentReference,
    bool IsSummary)
{
    public bool IsChoice => Path.EndsWith("[x]", StringComparison.Ordinal);

    public bool IsRepeating => Max != "1" && Max != "0";

    public int? MaxCount => int.TryParse(Max, out var n) ? n : null;
}

/// <summary>A JSON property name resolved to its element and, for choice elements, the chosen type.</summary>
public sealed record ElementMatch(ElementDefinition Element, string TypeCode);

/// <summary>A resource or complex data type and the direct children of its root.</summary>
public sealed record TypeDefinition(string Name, string Category, bool IsAbstract, string? BaseType)
{
    public bool IsResource => Category == "resource";
}

/// <summary>A primitive type: the JSON kind it is written as and the official regex (full match).</summary>
public sealed record PrimitiveDefinition(string Name, PrimitiveJsonKind JsonKind, System.Text.RegularExpressions.Regex? Pattern);

// CA1720: the members are named after the JSON and FHIR type names they stand for.
#pragma warning disable CA1720
public enum PrimitiveJsonKind
{
    String,
    Number,
    Boolean,
}

public enum SearchParamType
{
    String,
    Token,
    Reference,
    Date,
    Quantity,
    Uri,
    Number,
    Composite,
    Special,
}
#pragma warning restore CA1720

/// <summary>
/// A search parameter reduced to element paths. Each path is <c>Type.a.b</c>, optionally with segment filters
/// (<c>telecom[system=phone]</c>) and a reference target restriction suffix (<c>@Patient</c>).
/// </summary>
public sealed record SearchParameterDefinition(
    string Name,
    SearchParamType Type,
    bool Indexed,
    IReadOnlyList<string> Paths,
    IReadOnlyList<string> Targets);
