using System.Globalization;
using PatientStream.Ingest.Mapping;
using PatientStream.Kafka.Contracts;

namespace PatientStream.Ingest.Cleaning;

/// <summary>
/// Validates the samples of one device batch, converts them to UCUM canonical units and flags implausible values.
/// Stateless: dedupe and lateness need the series history and happen after cleaning.
/// </summary>
public sealed class SampleCleaner
{
    private static readonly DateTimeOffset s_earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly IReadOnlyDictionary<string, SampleType> _types;
    private readonly UnitTable _units;
    private readonly IReadOnlyDictionary<string, FieldMapping> _fields;
    private readonly IngestOptions _options;

    /// <param name="fields">Payload fields that become a type through an expression (none unless given).</param>
    public SampleCleaner(IngestOptions options, IReadOnlyDictionary<string, SampleType>? types = null, UnitTable? units = null,
        IReadOnlyDictionary<string, FieldMapping>? fields = null)
    {
        _options = IngestOptionsValidator.EnsureValid(options);
        _types = types ?? SampleTypes.Defaults;
        _units = units ?? UnitTable.Default;
        _fields = fields ?? new Dictionary<string, FieldMapping>();
    }

    /// <summary>A cleaner for everything <paramref name="catalogue"/> declares, payload fields included.</summary>
    public SampleCleaner(IngestOptions options, SampleCatalogue catalogue)
        : this(options, catalogue?.Types, catalogue?.Units, catalogue?.Fields)
    {
    }

    /// <summary>Cleans every sample of <paramref name="reading"/>; times are judged against the edge's receipt time.</summary>
    public CleanResult Clean(RawReading reading)
    {
        ArgumentNullException.ThrowIfNull(reading);
        var samples = reading.Batch.Samples ?? [];
        var accepted = new List<CleanSample>(samples.Count);
        var rejected = new List<SampleRejection>();
        for (var i = 0; i < samples.Count; i++)
        {
            var result = CleanOne(reading, samples[i], i);
            if (result.Sample is not null)
            {
                accepted.Add(result.Sample);
            }
            else
            {
                rejected.Add(result.Rejection!);
            }
        }
        return new CleanResult(accepted, rejected);
    }

    private (CleanSample? Sample, SampleRejection? Rejection) CleanOne(RawReading reading, Sample sample, int index)
    {
        if (sample is null || string.IsNullOrEmpty(sample.Type) || !_types.TryGetValue(sample.Type, out var type))
        {
            return sample is not null && !string.IsNullOrEmpty(sample.Type) && _fields.TryGetValue(sample.Type, out var field)
                ? CleanField(reading, sample, index, field)
                : Reject(index, RejectCodes.UnknownType, $"sample type '{Truncate(sample?.Type)}' is not known");
        }
        if (TimeProblem(sample.Time, reading.Received) is { } timeProblem)
        {
            return Reject(index, timeProblem.Code, timeProblem.Detail);
        }
        if (string.IsNullOrEmpty(sample.Unit))
        {
            return Reject(index, RejectCodes.MissingUnit, $"{type.Name} sample has no unit");
        }
        if (!_units.TryGet(type.Name, sample.Unit, out var rule))
        {
            return Reject(index, RejectCodes.UnknownUnit, $"unit '{Truncate(sample.Unit)}' is not accepted for {type.Name}");
        }
        return type.Kind == SampleKind.Scalar
            ? CleanScalar(reading, sample, index, type, rule)
            : CleanWaveform(reading, sample, index, type, rule);
    }

    private static (CleanSample?, SampleRejection?) CleanScalar(RawReading reading, Sample sample, int index, SampleType type, UnitRule rule)
    {
        if (sample.Value is not { } raw)
        {
            return Reject(index, RejectCodes.MissingValue, $"{type.Name} sample has no value");
        }
        if (!double.IsFinite(raw))
        {
            return Reject(index, RejectCodes.NotFinite, $"{type.Name} value is not a finite number");
        }
        var value = rule.Apply(raw);
        if (!double.IsFinite(value))
        {
            return Reject(index, RejectCodes.NotFinite, $"{type.Name} value overflows after {rule.Describe()}");
        }
        var quality = type.IsPlausible(value) ? SampleQuality.None : SampleQuality.Implausible;
        var conversion = rule.IsIdentity ? null : new UnitConversion(rule.FromUnit, raw, rule.ToUnit, rule.Describe());
        return (new CleanSample(reading.Patient, reading.Device, reading.Batch.Seq, type, sample.Time.ToUniversalTime(), value,
            type.CanonicalUnit, quality, conversion), null);
    }

    private (CleanSample?, SampleRejection?) CleanField(RawReading reading, Sample sample, int index, FieldMapping field)
    {
        if (TimeProblem(sample.Time, reading.Received) is { } timeProblem)
        {
            return Reject(index, timeProblem.Code, timeProblem.Detail);
        }
        if (field.Unit is not null && !string.Equals(field.Unit, sample.Unit, StringComparison.Ordinal))
        {
            return Reject(index, RejectCodes.UnknownUnit, $"field {field.Field} must carry unit '{field.Unit}', not '{Truncate(sample.Unit)}'");
        }
        if (sample.Value is not { } raw)
        {
            return Reject(index, RejectCodes.MissingValue, $"field {field.Field} has no value");
        }
        var value = double.IsFinite(raw) ? field.Expression.Evaluate([raw]) : double.NaN;
        if (!double.IsFinite(value))
        {
            return Reject(index, RejectCodes.NotFinite, $"field {field.Field} is not a finite number after {field.Expression.Text}");
        }
        var type = field.Target;
        var quality = type.IsPlausible(value) ? SampleQuality.None : SampleQuality.Implausible;
        var conversion = new UnitConversion(sample.Unit ?? "", raw, type.CanonicalUnit, field.Rule);
        return (new CleanSample(reading.Patient, reading.Device, reading.Batch.Seq, type, sample.Time.ToUniversalTime(), value,
            type.CanonicalUnit, quality, conversion), null);
    }

    private (CleanSample?, SampleRejection?) CleanWaveform(RawReading reading, Sample sample, int index, SampleType type, UnitRule rule)
    {
        if (sample.Data is not { Count: > 0 } data)
        {
            return Reject(index, RejectCodes.MissingValue, $"{type.Name} waveform has no data");
        }
        if (sample.PeriodMs is not { } period || !double.IsFinite(period) || period <= 0)
        {
            return Reject(index, RejectCodes.BadWaveform, $"{type.Name} waveform period must be a positive number of milliseconds");
        }
        if (data.Count > _options.MaxWaveformPoints)
        {
            return Reject(index, RejectCodes.BadWaveform,
                $"{type.Name} waveform has {data.Count} points, more than {_options.MaxWaveformPoints}");
        }
        var converted = new double[data.Count];
        var plausible = true;
        for (var i = 0; i < data.Count; i++)
        {
            var value = rule.Apply(data[i]);
            if (!double.IsFinite(data[i]) || !double.IsFinite(value))
            {
                return Reject(index, RejectCodes.NotFinite, $"{type.Name} waveform point {i} is not a finite number");
            }
            converted[i] = value;
            plausible &= type.IsPlausible(value);
        }
        var quality = plausible ? SampleQuality.None : SampleQuality.Implausible;
        var conversion = rule.IsIdentity ? null : new UnitConversion(rule.FromUnit, data[0], rule.ToUnit, rule.Describe());
        return (new CleanSample(reading.Patient, reading.Device, reading.Batch.Seq, type, sample.Time.ToUniversalTime(), null,
            type.CanonicalUnit, quality, conversion, period, converted), null);
    }

    private (string Code, string Detail)? TimeProblem(DateTimeOffset time, DateTimeOffset received)
    {
        if (time == default)
        {
            return (RejectCodes.MissingTime, "sample has no timestamp");
        }
        if (received != default && time - received > _options.MaxClockAhead)
        {
            return (RejectCodes.TimeInFuture, $"sample is {Format(time - received)} after receipt, more than {Format(_options.MaxClockAhead)}");
        }
        if (time < s_earliest || (received != default && received - time > _options.MaxSampleAge))
        {
            return (RejectCodes.TimeTooOld, $"sample time {time.UtcDateTime:O} is older than {Format(_options.MaxSampleAge)} before receipt");
        }
        return null;
    }

    private static (CleanSample?, SampleRejection?) Reject(int index, string code, string detail) => (null, new SampleRejection(index, code, detail));

    private static string Format(TimeSpan span) => span.ToString("c", CultureInfo.InvariantCulture);

    // Reasons end up in logs and dead letters: keep device-controlled text short.
    private static string Truncate(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "…";
}
