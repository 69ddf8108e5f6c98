using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Gate;

/// <summary>The rules a parsed device batch must keep beyond its JSON shape (shared by the gate and the simulator's tests).</summary>
public static class BatchContract
{
    /// <summary>Null when the batch keeps the contract of DESIGN.md, otherwise the first reason it does not.</summary>
    public static string? Check(DeviceBatch batch, int maxSamples = 10_000)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Version != 1)
        {
            return $"unsupported contract version {batch.Version}";
        }
        if (string.IsNullOrEmpty(batch.Device))
        {
            return "device is empty";
        }
        if (batch.Samples is null)
        {
            return "samples is null";
        }
        if (batch.Seq < 0)
        {
            return "seq is negative";
        }
        if (batch.Samples.Count == 0)
        {
            return "batch has no samples";
        }
        if (batch.Samples.Count > maxSamples)
        {
            return $"batch has more than {maxSamples} samples";
        }
        for (var i = 0; i < batch.Samples.Count; i++)
        {
            var error = SampleCheck(batch.Samples[i]);
            if (error is not null)
            {
                return $"sample {i}: {error}";
            }
        }
        return null;
    }

    private static string? SampleCheck(Sample sample)
    {
        if (sample is null)
        {
            return "is null";
        }
        if (!SampleCodes.TryGetCode(sample.Type ?? "", out _))
        {
            return $"unknown type '{sample.Type}'";
        }
        if (sample.Time == default)
        {
            return "has no time";
        }
        if (sample.Data is { } data)
        {
            if (data.Count == 0 || sample.PeriodMs is not > 0 || !double.IsFinite(sample.PeriodMs.Value))
            {
                return "waveform needs data and a positive periodMs";
            }
            return data.All(double.IsFinite) ? null : "waveform has a non-finite value";
        }
        return sample.Value is { } value && double.IsFinite(value) ? null : "needs a finite value";
    }
}
