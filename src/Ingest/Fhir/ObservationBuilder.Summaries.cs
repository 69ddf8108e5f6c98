using System.Globalization;
using System.Text.Json.Nodes;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Summaries;

namespace PatientStream.Ingest.Fhir;

public static partial class ObservationBuilder
{
    /// <summary>FHIR's statistic codes (R4 value set observation-statistics) for the summary components.</summary>
    public const string StatisticsSystem = "http://terminology.hl7.org/CodeSystem/observation-statistics";

    /// <summary>
    /// One Observation (followed by its Provenance) per window: effectivePeriod of the window, valueQuantity the mean or
    /// the sum, components minimum, maximum and count. The id comes from (patient, type, window start), so every later
    /// batch feeding the window, a late sample or a replay, updates the same Observation.
    /// </summary>
    public static IReadOnlyList<JsonObject> Summaries(IReadOnlyList<PeriodSummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var resources = new List<JsonObject>(summaries.Count * 2);
        foreach (var summary in summaries)
        {
            var type = summary.Type;
            var aggregate = summary.Aggregate;
            var observation = Base(SummaryId(summary.PatientId, type, summary.Start.UtcTicks), type, summary.PatientId, summary.DeviceId, aggregate.Quality);
            observation["effectivePeriod"] = new JsonObject { ["start"] = Instant(summary.Start), ["end"] = Instant(summary.End) };
            observation["valueQuantity"] = Quantity(summary.Value, type.CanonicalUnit);
            observation["component"] = new JsonArray(
                Statistic(type, "minimum", "Minimum", Quantity(aggregate.Min, type.CanonicalUnit)),
                Statistic(type, "maximum", "Maximum", Quantity(aggregate.Max, type.CanonicalUnit)),
                Statistic(type, "count", "Count", JsonValue.Create(aggregate.Count)));
            observation["note"] = new JsonArray(new JsonObject
            {
                ["text"] = string.Create(CultureInfo.InvariantCulture,
                    $"{(type.Summary == SummaryStatistic.Sum ? "Sum" : "Mean")} of {aggregate.Count} sample(s) in the {Describe(summary.End - summary.Start)} window"),
            });
            resources.Add(observation);
            resources.Add(Provenance(observation, summary.PatientId, summary.DeviceId, summary.Start));
        }
        return resources;
    }

    /// <summary>The id of the summary Observation of <paramref name="type"/> for a patient and window start.</summary>
    public static string SummaryId(string patientId, SampleType type, long windowStartTicks)
    {
        ArgumentNullException.ThrowIfNull(type);
        return DeterministicId("summary", patientId, type.CodeSystem, type.Code, windowStartTicks.ToString(CultureInfo.InvariantCulture));
    }

    private static JsonObject Statistic(SampleType type, string code, string display, JsonNode value)
    {
        var component = new JsonObject
        {
            ["code"] = new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = StatisticsSystem, ["code"] = code, ["display"] = display }),
                ["text"] = $"{type.Display} ({code})",
            },
        };
        component[value is JsonObject ? "valueQuantity" : "valueInteger"] = value;
        return component;
    }

    private static string Describe(TimeSpan period) => period.TotalDays >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{period.TotalDays:0} d")
        : period.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{period.TotalHours:0} h") : string.Create(CultureInfo.InvariantCulture, $"{period.TotalMinutes:0} min");
}
