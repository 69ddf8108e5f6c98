using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.Output;

namespace PatientStream.Analytics.Patients;

/// <summary>Wires the per-patient analytics onto the actor runtime.</summary>
public static class PatientAnalytics
{
    /// <summary>
    /// A runtime of <see cref="PatientActor"/>s. Clock ticks do not count as activity, so a patient whose devices
    /// went quiet is still passivated, but only after the silence alert had its chance: the idle timeout must be
    /// longer than <see cref="PatientAnalyticsOptions.DeviceSilentAfter"/>.
    /// </summary>
    public static ActorRuntime<PatientInput> CreateRuntime(
        PatientAnalyticsOptions analyticsOptions,
        ActorRuntimeOptions runtimeOptions,
        ISnapshotStore store,
        IAnalyticsSink sink,
        Func<DeadLetter<PatientInput>, CancellationToken, ValueTask> deadLetter,
        TimeProvider? timeProvider = null,
        IActorObserver? observer = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(analyticsOptions);
        var validation = new PatientAnalyticsOptionsValidator().Validate(null, analyticsOptions);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(PatientAnalyticsOptions), typeof(PatientAnalyticsOptions), validation.Failures);
        }

        ArgumentNullException.ThrowIfNull(runtimeOptions);
        if (runtimeOptions.IdleTimeout <= analyticsOptions.DeviceSilentAfter)
        {
            throw new OptionsValidationException(
                nameof(ActorRuntimeOptions),
                typeof(ActorRuntimeOptions),
                ["Actors:IdleTimeout must be longer than Analytics:DeviceSilentAfter: a patient whose device went silent would otherwise be passivated before the silence is noticed."]);
        }

        return new ActorRuntime<PatientInput>(
            patientId => new PatientActor(patientId, analyticsOptions, sink),
            store,
            deadLetter,
            runtimeOptions,
            timeProvider,
            isActivity: static input => input is not ClockTick,
            observer,
            logger);
    }
}
