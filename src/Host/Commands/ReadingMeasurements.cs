using PatientStream.Analytics.Contracts;
using PatientStream.Ingest;
using PatientStream.Ingest.Cleaning;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;

namespace PatientStream.Host.Commands;

/// <summary>
/// Turns a <see cref="RawReading"/> from <c>ps.readings.raw</c> into the analytics' <see cref="Measurement"/>s with
/// ingest's own cleaner, so both stages agree on codes, UCUM units and plausibility. Samples the cleaner refuses are
/// skipped here: ingest dead-letters them with their reason, and a second dead letter would only repeat it.
/// </summary>
internal sealed class ReadingMeasurements
{
    /// <summary>Sample type of the inhaled oxygen flow (L/min; above zero = supplemental oxygen).</summary>
    public const string OxygenFlowType = "inhaled-oxygen-flow";

    /// <summary>Sample type of the level of consciousness (ACVPU ordinal, 0 = alert).</summary>
    public const string ConsciousnessType = "consciousness";

    /// <summary>Sample type of the device's battery level (%).</summary>
    public const string BatteryType = "device-battery";

    private readonly SampleCleaner _cleaner;

    public ReadingMeasurements(string dataDirectory)
    {
        var types = new Dictionary<string, SampleType>(SampleTypes.Defaults, StringComparer.Ordinal);
        var rules = UnitTable.Default.Rules.ToList();
        foreach (var (type, units) in AnalyticsTypes())
        {
            types[type.Name] = type;
            rules.AddRange(units.Select(unit => (type.Name, new UnitRule(unit, type.CanonicalUnit, 1))));
        }
        // The cleaner reads only the time limits of these options; the state path is required by their validation
        // and is never opened from here.
        var options = new IngestOptions { StatePath = Path.Combine(dataDirectory, "analytics", "cleaner.unused") };
        _cleaner = new SampleCleaner(options, types, new UnitTable(rules));
    }

    /// <summary>
    /// The NEWS2 inputs and device telemetry that DESIGN.md's device types do not cover; the analytics read them
    /// under the codes of <see cref="MeasurementCodes"/>.
    /// </summary>
    private static IEnumerable<(SampleType Type, string[] Units)> AnalyticsTypes()
    {
        yield return (new SampleType(OxygenFlowType, MeasurementCodes.InhaledOxygenFlowRate, "Inhaled oxygen flow rate", "L/min",
            SampleKind.Scalar, 0, 60), ["L/min", "l/min", "L/min{O2}"]);
        yield return (new SampleType(ConsciousnessType, MeasurementCodes.LevelOfConsciousness, "Level of consciousness (ACVPU)", "{score}",
            SampleKind.Scalar, 0, 4, "exam"), ["{score}", "1"]);
        yield return (new SampleType(BatteryType, MeasurementCodes.DeviceBattery, "Device battery level", "%",
            SampleKind.Scalar, 0, 100, "device") { CodeSystem = "urn:patientstream:device" }, ["%"]);
    }

    /// <summary>A <see cref="Analytics.Kafka.RecordExpander{TMessage}"/>: every clean scalar sample of the record becomes a measurement.</summary>
    public bool Expand(KafkaRecord record, List<PatientInput> messages, out string? error)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(messages);
        if (!ContractsJson.TryParse(record.Value, out RawReading? reading, out var parseError) || reading?.Batch?.Samples is null)
        {
            error = $"payload.unparseable: {parseError ?? "a raw reading without samples"}";
            return false;
        }
        if (!string.Equals(reading.Patient, record.Key, StringComparison.Ordinal))
        {
            error = "payload.inconsistent: the record key is not the reading's patient";
            return false;
        }
        foreach (var sample in _cleaner.Clean(reading).Accepted)
        {
            if (sample.Value is { } value)
            {
                messages.Add(new Measurement(record.Key!, sample.DeviceId, sample.Code, sample.Time, value, sample.Unit,
                    (MeasurementQuality)(int)sample.Quality));
            }
        }
        error = null;
        return true;
    }
}
