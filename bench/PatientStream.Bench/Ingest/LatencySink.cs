using PatientStream.Ingest;
using PatientStream.Ingest.Cleaning;

namespace PatientStream.Bench.Ingest;

/// <summary>
/// Counts what reached the sinks (InfluxDB is written just before) and records, per sample, the time from its
/// sample timestamp to now: in the latency run the sample time is the production time.
/// </summary>
internal sealed class LatencySink : ICleanSampleSink
{
    private readonly Lock _lock = new();
    private readonly List<double> _latenciesMs = [];
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _target = long.MaxValue;
    private long _count;
    private long _firstBatch;
    private readonly System.Diagnostics.Stopwatch _clock = new();

    /// <summary>Samples per second after the first batch reached the sinks (group join is not throughput).</summary>
    public double Rate
    {
        get
        {
            lock (_lock)
            {
                return (_count - _firstBatch) / _clock.Elapsed.TotalSeconds;
            }
        }
    }

    public Task WriteAsync(IReadOnlyList<CleanSample> samples, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        lock (_lock)
        {
            foreach (var sample in samples)
            {
                _latenciesMs.Add((now - sample.Time).TotalMilliseconds);
            }
            if (!_clock.IsRunning && _count == 0)
            {
                _clock.Restart();
                _firstBatch = samples.Count;
            }
            _count += samples.Count;
            if (_count >= _target)
            {
                _clock.Stop();
                _reached.TrySetResult();
            }
        }
        return Task.CompletedTask;
    }

    public Task WaitForAsync(long count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _target = count;
            if (_count >= count)
            {
                _reached.TrySetResult();
            }
        }
        return _reached.Task.WaitAsync(timeout, cancellationToken);
    }

    public void Reset()
    {
        lock (_lock)
        {
            _latenciesMs.Clear();
            _count = 0;
            _clock.Reset();
            _target = long.MaxValue;
            _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public (double P50, double P99, double Max) Percentiles()
    {
        lock (_lock)
        {
            var sorted = _latenciesMs.Order().ToArray();
            if (sorted.Length == 0)
            {
                return (0, 0, 0);
            }
            return (sorted[(int)(sorted.Length * 0.50)], sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))], sorted[^1]);
        }
    }
}
