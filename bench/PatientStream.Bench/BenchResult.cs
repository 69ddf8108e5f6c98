using System.Text.Json.Serialization;

namespace PatientStream.Bench;

/// <summary>
/// One figure of a benchmark next to its baseline from the same run. <see cref="Ratio"/> is value / baseline value;
/// <see cref="Target"/> states the goal in words ("≥ 0.9 × baseline", "≤ 50 ms"). latest.json carries exactly the
/// fields issue 9 names, in its order; <see cref="Met"/> (whether the target was reached) shows in latest.md only.
/// </summary>
public sealed record BenchResult(
    [property: JsonPropertyName("name"), JsonPropertyOrder(0)] string Name,
    [property: JsonPropertyName("value"), JsonPropertyOrder(1)] double Value,
    [property: JsonPropertyName("unit"), JsonPropertyOrder(2)] string Unit,
    [property: JsonPropertyName("baseline"), JsonPropertyOrder(3)] string? Baseline,
    [property: JsonPropertyName("baseline_value"), JsonPropertyOrder(4)] double? BaselineValue,
    [property: JsonPropertyName("target"), JsonPropertyOrder(6)] string? Target,
    [property: JsonIgnore] bool? Met)
{
    [JsonPropertyName("ratio")]
    [JsonPropertyOrder(5)]
    public double? Ratio => BaselineValue is > 0 ? Math.Round(Value / BaselineValue.Value, 3) : null;
}

/// <summary>A group of related measurements.</summary>
public interface IBenchmark
{
    string Name { get; }

    Task<IReadOnlyList<BenchResult>> RunAsync(BenchSettings settings, CancellationToken cancellationToken);
}

/// <summary>How long to measure: <see cref="Quick"/> runs are for smoke checks, not for figures.</summary>
public sealed record BenchSettings(bool Quick)
{
    public int Scale(int full, int quick) => Quick ? quick : full;
}
