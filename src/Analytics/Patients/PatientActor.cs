using System.Buffers;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.News2;
using PatientStream.Analytics.Output;

namespace PatientStream.Analytics.Patients;

/// <summary>
/// Watches one patient: keeps the latest NEWS2 parameters, daily trend data and device quality, and publishes a
/// RiskAssessment when the NEWS2 score or band changes and alert transitions when a condition starts, worsens or
/// clears. All times are patient data times, so a replay reaches the same conclusions and the same ids.
/// </summary>
public sealed class PatientActor : IActor<PatientInput>
{
    private readonly string _patientId;
    private readonly PatientAnalyticsOptions _options;
    private readonly News2Scorer _scorer;
    private readonly IAnalyticsSink _sink;
    private PatientState _state;

    /// <summary>Creates the actor of one patient with empty state.</summary>
    public PatientActor(string patientId, PatientAnalyticsOptions options, IAnalyticsSink sink)
    {
        ArgumentNullException.ThrowIfNull(options);
        _patientId = patientId;
        _options = options;
        _scorer = new News2Scorer(options.News2);
        _sink = sink;
        _state = new PatientState(options);
    }

    /// <inheritdoc/>
    public ValueTask ReceiveAsync(PatientInput message, ActorContext context) => message switch
    {
        Measurement measurement => OnMeasurementAsync(measurement, context),
        ClinicalContext clinical => OnClinicalContextAsync(clinical, context),
        ClockTick tick => OnTickAsync(tick, context),
        _ => throw new ArgumentException("Unknown patient input.", nameof(message)),
    };

    /// <inheritdoc/>
    public void WriteSnapshot(IBufferWriter<byte> output) => _state.Write(new SnapshotWriter(output));

    /// <inheritdoc/>
    public void RestoreSnapshot(ReadOnlySpan<byte> snapshot)
    {
        var state = new PatientState(_options);
        var reader = new SnapshotReader(snapshot);
        state.Read(ref reader);
        _state = state;
    }

    private async ValueTask OnMeasurementAsync(Measurement m, ActorContext context)
    {
        var state = _state;
        if (m.Time > state.Clock)
        {
            state.Clock = m.Time;
        }

        var device = state.Device(m.DeviceId);
        if (m.Time > device.LastSeen)
        {
            device.LastSeen = m.Time;
        }

        var implausible = (m.Quality & MeasurementQuality.Implausible) != 0 || !double.IsFinite(m.Value);
        device.Record(implausible);
        await AlertAsync(AlertKind.DeviceSilent, device.DeviceId, 0, "", m.Time, context).ConfigureAwait(false);
        var tooMany = device.ImplausibleCount >= _options.ImplausibleOf64;
        await AlertAsync(
            AlertKind.ImplausibleValues,
            device.DeviceId,
            tooMany ? 1 : 0,
            FormattableString.Invariant($"{device.ImplausibleCount} of the last {device.Recent} readings implausible"),
            m.Time,
            context).ConfigureAwait(false);
        if (implausible || (m.Quality & MeasurementQuality.DeviceFlagged) != 0)
        {
            return;
        }

        if (m.Code == MeasurementCodes.DeviceBattery)
        {
            await OnBatteryAsync(device, m, context).ConfigureAwait(false);
            return;
        }

        var news2Changed = RecordNews2Parameter(m);
        await RecordTrendAsync(m, context).ConfigureAwait(false);
        if (news2Changed)
        {
            await EvaluateNews2Async(context).ConfigureAwait(false);
        }
    }

    private bool RecordNews2Parameter(Measurement m)
    {
        (News2Parameter Parameter, double Value)? mapped = m.Code switch
        {
            MeasurementCodes.RespiratoryRate => (News2Parameter.RespirationRate, m.Value),
            MeasurementCodes.OxygenSaturation => (News2Parameter.OxygenSaturation, m.Value),
            MeasurementCodes.InhaledOxygenFlowRate => (News2Parameter.SupplementalOxygen, m.Value > 0 ? 1 : 0),
            MeasurementCodes.SystolicBloodPressure => (News2Parameter.SystolicBloodPressure, m.Value),
            MeasurementCodes.HeartRate => (News2Parameter.Pulse, m.Value),
            MeasurementCodes.LevelOfConsciousness => (News2Parameter.Consciousness, m.Value),
            MeasurementCodes.BodyTemperature => (News2Parameter.Temperature, m.Value),
            _ => null,
        };
        if (mapped is not { } p)
        {
            return false;
        }

        ref var slot = ref _state.Latest[(int)p.Parameter];
        if (slot is not null && slot.Time > m.Time)
        {
            // A late reading never replaces a newer one.
            return false;
        }

        slot = new News2Reading(p.Parameter, p.Value, m.Time, m.ObservationReference);
        return true;
    }

    private async ValueTask RecordTrendAsync(Measurement m, ActorContext context)
    {
        var trend = m.Code switch
        {
            MeasurementCodes.HeartRate => 0,
            MeasurementCodes.OxygenSaturation => 1,
            MeasurementCodes.BodyWeight => 2,
            _ => -1,
        };
        if (trend < 0 || m.Time.UtcTicks <= _state.TrendTicks[trend])
        {
            return;
        }

        _state.TrendTicks[trend] = m.Time.UtcTicks;
        var series = _state.Series;
        var today = DailySeries.DayOf(_state.Clock);
        switch (m.Code)
        {
            case MeasurementCodes.HeartRate:
                series.For(m.Time)?.AddHeartRate(m.Value, _options.RestingHeartRateSamples);
                var rising = TrendRules.RestingHeartRateRising(series, today, _options);
                await AlertAsync(AlertKind.RestingHeartRateRising, "", rising is null ? 0 : 1, rising ?? "", m.Time, context).ConfigureAwait(false);
                break;
            case MeasurementCodes.OxygenSaturation when series.For(m.Time) is { } day:
                day.SpO2Sum += m.Value;
                day.SpO2Count++;
                var drift = TrendRules.SpO2Drift(series, _options);
                await AlertAsync(AlertKind.SpO2Drift, "", drift is null ? 0 : 1, drift ?? "", m.Time, context).ConfigureAwait(false);
                break;
            case MeasurementCodes.BodyWeight:
                series.For(m.Time)?.AddWeight(m.Value, m.Time);
                var gain = TrendRules.WeightGain(series, today, _options);
                // Weight gain is a warning for anyone, urgent when heart failure is on record.
                var severity = gain is null ? 0 : _state.HeartFailure ? 2 : 1;
                await AlertAsync(AlertKind.WeightGain, "", severity, gain ?? "", m.Time, context).ConfigureAwait(false);
                break;
            default:
                break;
        }
    }

    private async ValueTask OnBatteryAsync(DeviceQuality device, Measurement m, ActorContext context)
    {
        if (m.Time.UtcTicks < device.BatteryTicks)
        {
            return;
        }

        device.Battery = m.Value;
        device.BatteryTicks = m.Time.UtcTicks;
        var low = m.Value <= _options.LowBatteryPercent;
        await AlertAsync(AlertKind.DeviceLowBattery, device.DeviceId, low ? 1 : 0, FormattableString.Invariant($"Battery at {m.Value:0}%"), m.Time, context)
            .ConfigureAwait(false);
    }

    private async ValueTask OnClinicalContextAsync(ClinicalContext clinical, ActorContext context)
    {
        var changed = _state.HypercapnicRespiratoryFailure != clinical.HypercapnicRespiratoryFailure;
        _state.HypercapnicRespiratoryFailure = clinical.HypercapnicRespiratoryFailure;
        _state.HeartFailure = clinical.HeartFailure;
        if (changed && _state.LastScore >= 0)
        {
            await EvaluateNews2Async(context).ConfigureAwait(false);
        }
    }

    private async ValueTask OnTickAsync(ClockTick tick, ActorContext context)
    {
        foreach (var device in _state.Devices.ToArray())
        {
            var silentFor = tick.Now - device.LastSeen;
            var silent = silentFor >= _options.DeviceSilentAfter;
            var summary = FormattableString.Invariant($"No data for {silentFor.TotalMinutes:0} minutes");
            await AlertAsync(AlertKind.DeviceSilent, device.DeviceId, silent ? 1 : 0, summary, tick.Now, context).ConfigureAwait(false);
        }
    }

    private async ValueTask EvaluateNews2Async(ActorContext context)
    {
        var scale = _state.HypercapnicRespiratoryFailure ? SpO2Scale.Scale2 : SpO2Scale.Scale1;
        var result = _scorer.Score(_state.Latest.OfType<News2Reading>(), scale, _state.Clock);
        if (result.AggregateScore != _state.LastScore || result.Risk != _state.LastRisk || result.IsComplete != _state.LastComplete)
        {
            _state.LastScore = result.AggregateScore;
            _state.LastRisk = result.Risk;
            _state.LastComplete = result.IsComplete;
            if (!context.IsReplay)
            {
                var resource = FhirResources.RiskAssessment(_patientId, result);
                await _sink.PublishAsync(new RiskAssessed(_patientId, result.At, result, resource), context.CancellationToken).ConfigureAwait(false);
            }
        }

        var severity = result.Risk switch
        {
            ClinicalRisk.High => 3,
            ClinicalRisk.Medium => 2,
            ClinicalRisk.LowMedium => 1,
            _ => 0,
        };
        var summary = FormattableString.Invariant($"NEWS2 {result.AggregateScore}: {result.Risk} clinical risk{(result.IsComplete ? "" : " (incomplete)")}");
        await AlertAsync(AlertKind.News2Risk, "", severity, summary, result.At, context).ConfigureAwait(false);
    }

    private ValueTask AlertAsync(AlertKind kind, string subject, int severity, string summary, DateTimeOffset now, ActorContext context)
    {
        if (_state.Alerts.Evaluate(kind, subject, severity, summary, now) is not { } change || context.IsReplay)
        {
            return default;
        }

        var (alert, transition) = change;
        var record = new AlertRecord(
            FhirResources.StableId("alert", _patientId, AlertKinds.Code(kind), subject, FhirResources.Instant(alert.RaisedAt)),
            _patientId,
            AlertKinds.Code(kind),
            subject,
            transition,
            alert.Severity,
            alert.EscalationLevel,
            alert.RaisedAt,
            now,
            alert.Occurrences,
            alert.Summary);
        return _sink.PublishAsync(new AlertChanged(record, FhirResources.Flag(record, kind)), context.CancellationToken);
    }
}
