namespace PatientStream.Ingest.Cleaning;

/// <summary>Quality flags of a clean sample (the same set the per-patient analytics read).</summary>
[Flags]
public enum SampleQuality
{
    None = 0,
    Implausible = 1,
    OutOfOrder = 2,
    Late = 4,
    DeviceFlagged = 8,
}

/// <summary>
/// A validated sample in its canonical unit, attributed to patient and device. Scalars carry <see cref="Value"/>;
/// waveforms carry <see cref="Data"/> at <see cref="PeriodMs"/> starting at <see cref="Time"/>.
/// </summary>
public sealed record CleanSample(
    string PatientId,
    string DeviceId,
    long Seq,
    SampleType Type,
    DateTimeOffset Time,
    double? Value,
    string Unit,
    SampleQuality Quality,
    UnitConversion? Conversion = null,
    double? PeriodMs = null,
    IReadOnlyList<double>? Data = null)
{
    public string Code => Type.Code;

    public bool IsWaveform => Data is not null;

    /// <summary>For a calculated measurement: the samples it was calculated from and the expression, for audit.</summary>
    public Derivation? Derivation { get; init; }

    /// <summary>Time of the last point: the sample time for scalars, the last waveform point otherwise.</summary>
    public DateTimeOffset EndTime => Data is null || PeriodMs is null
        ? Time
        : Time + TimeSpan.FromMilliseconds(PeriodMs.Value * Math.Max(0, Data.Count - 1));
}

/// <summary>How a calculated measurement came about: its expression over the input samples of the same instant.</summary>
public sealed record Derivation(string Expression, IReadOnlyList<CleanSample> Inputs);

/// <summary>A sample the stage refused, with its stable code and a detail free of patient data.</summary>
/// <param name="Index">Position of the sample in its device batch.</param>
public sealed record SampleRejection(int Index, string Code, string Detail)
{
    public string Reason => $"{Code}: {Detail}";
}

/// <summary>What cleaning made of one device batch.</summary>
public sealed record CleanResult(IReadOnlyList<CleanSample> Accepted, IReadOnlyList<SampleRejection> Rejected);
