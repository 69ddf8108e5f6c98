using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Mapping.Expressions;

namespace PatientStream.Ingest.Mapping;

/// <summary>
/// A measurement calculated from other measurements of the same device batch at the same instant, e.g. mean arterial
/// pressure from systolic and diastolic. <see cref="InputTypes"/>[i] binds <see cref="Expression"/>.Inputs[i].
/// </summary>
public sealed record CalculatedMeasurement(SampleType Type, IReadOnlyList<string> InputTypes, Expression Expression);

/// <summary>
/// A payload field devices send under their own name (a sample type the catalogue does not know) that becomes a
/// measurement through an expression over its value <c>v</c>, e.g. a temperature in tenths of a kelvin.
/// </summary>
/// <param name="Unit">The unit the field must carry; null accepts any (the expression defines the meaning).</param>
public sealed record FieldMapping(string Field, string? Unit, SampleType Target, Expression Expression)
{
    /// <summary>The audit rule recorded with the converted sample.</summary>
    public string Rule => $"{Field}->{Target.Name}: {Expression.Text}";
}

/// <summary>
/// Adds the calculated measurements of a mapping to the clean samples of one batch. Inputs are matched by type and
/// exact sample time within the batch (one device); a calculation whose inputs are not all there is skipped, and
/// so is one whose result is not a finite number (division by zero): the inputs themselves are stored either way.
/// </summary>
public sealed class MeasurementCalculator
{
    private readonly IReadOnlyList<CalculatedMeasurement> _calculations;
    private readonly HashSet<string> _inputTypes;

    public MeasurementCalculator(IReadOnlyList<CalculatedMeasurement> calculations)
    {
        _calculations = calculations ?? throw new ArgumentNullException(nameof(calculations));
        _inputTypes = [.. calculations.SelectMany(c => c.InputTypes)];
    }

    public static MeasurementCalculator None { get; } = new([]);

    /// <summary>
    /// Appends to <paramref name="samples"/> every measurement that can be calculated from them; each carries the
    /// batch index of its first input. Returns how many were added.
    /// </summary>
    public int AppendCalculated(List<(CleanSample Sample, int Index)> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (_calculations.Count == 0 || !samples.Exists(s => _inputTypes.Contains(s.Sample.Type.Name)))
        {
            return 0;
        }
        var byKey = new Dictionary<(string Type, long Ticks), (CleanSample Sample, int Index)>();
        foreach (var entry in samples)
        {
            if (!entry.Sample.IsWaveform && _inputTypes.Contains(entry.Sample.Type.Name))
            {
                byKey.TryAdd((entry.Sample.Type.Name, entry.Sample.Time.UtcTicks), entry);
            }
        }
        var added = 0;
        var count = samples.Count;
        foreach (var calculation in _calculations)
        {
            for (var i = 0; i < count; i++)
            {
                var (first, index) = samples[i];
                if (first.IsWaveform || first.Type.Name != calculation.InputTypes[0])
                {
                    continue;
                }
                if (Calculate(calculation, first, byKey) is { } result)
                {
                    samples.Add((result, index));
                    added++;
                }
            }
        }
        return added;
    }

    private static CleanSample? Calculate(CalculatedMeasurement calculation, CleanSample first,
        Dictionary<(string, long), (CleanSample Sample, int Index)> byKey)
    {
        var inputs = new CleanSample[calculation.InputTypes.Count];
        Span<double> values = stackalloc double[inputs.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            if (!byKey.TryGetValue((calculation.InputTypes[i], first.Time.UtcTicks), out var input))
            {
                return null;
            }
            inputs[i] = input.Sample;
            values[i] = input.Sample.Value!.Value;
        }
        var value = calculation.Expression.Evaluate(values);
        if (!double.IsFinite(value))
        {
            return null;
        }
        var type = calculation.Type;
        // A value calculated from a flagged input inherits the flag: it is no more trustworthy than what it came from.
        var quality = inputs.Aggregate(SampleQuality.None, (q, s) => q | s.Quality) | (type.IsPlausible(value) ? SampleQuality.None : SampleQuality.Implausible);
        return new CleanSample(first.PatientId, first.DeviceId, first.Seq, type, first.Time, value, type.CanonicalUnit, quality)
        {
            Derivation = new Derivation(calculation.Expression.Text, inputs),
        };
    }
}
