using System.Text.Json.Serialization;

namespace PatientStream.Bench;

/// <summary>
/// One figure of a benchmark next to its baseline from the same run. <see cref="Ratio"/> is value / baseline value;
/// <see cref="Target"/> states the goal in words ("≥ 0.9 × baseline", "≤ 50 ms").
/// </summary>
public sealed record BenchResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("baseline")] string? Baseline,
    [property: JsonPropertyName("baseline_value")] double? BaselineValue,
    [property: JsonPropertyName("target")] string? Target,
    [property: JsonPropertyName("met")] bool? Met)
{
    [JsonPropertyName("ratio")]
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
