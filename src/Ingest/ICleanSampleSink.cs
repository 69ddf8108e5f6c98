using PatientStream.Ingest.Cleaning;

namespace PatientStream.Ingest;

/// <summary>
/// A downstream consumer of clean samples (FHIR Observations, the per-patient analytics). <see cref="WriteAsync"/>
/// completes only when the samples are durable there; it may see the same samples again after a crash, so it must
/// be idempotent. Throwing makes the whole batch retry.
/// </summary>
public interface ICleanSampleSink
{
    Task WriteAsync(IReadOnlyList<CleanSample> samples, CancellationToken cancellationToken);
}
