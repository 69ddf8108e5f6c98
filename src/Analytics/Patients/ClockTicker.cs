using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;

namespace PatientStream.Analytics.Patients;

/// <summary>
/// Sends a <see cref="ClockTick"/> to every live patient actor at a fixed interval, so that silence (a device that
/// stopped sending) is noticed without any new data arriving.
/// </summary>
public sealed class ClockTicker
{
    private readonly ActorRuntime<PatientInput> _runtime;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the ticker; <paramref name="interval"/> should be well below <see cref="PatientAnalyticsOptions.DeviceSilentAfter"/>.</summary>
    public ClockTicker(ActorRuntime<PatientInput> runtime, TimeSpan interval, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _runtime = runtime;
        _interval = interval;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Ticks until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = _time.GetUtcNow();
                try
                {
                    await _runtime.BroadcastToActiveAsync(key => new ClockTick(key, now), cancellationToken).ConfigureAwait(false);
                }
                catch (ActorRuntimeException ex) when (ex.Code == ActorRuntimeException.StoppedCode)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug("Clock ticker stopped");
        }
    }
}
