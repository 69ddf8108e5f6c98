using System.Threading.Channels;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.News2;
using PatientStream.Analytics.Output;
using PatientStream.Analytics.Patients;
using PatientStream.Analytics.Tests.Support;

namespace PatientStream.Analytics.Tests.Patients;

public sealed class PatientRuntimeTests
{
    private static readonly DateTimeOffset s_t0 = PatientDriver.Start;
    private static readonly ActorRuntimeOptions s_runtimeOptions = new() { IdleTimeout = TimeSpan.FromHours(2) };

    private static IEnumerable<Measurement> Vitals(string patient, DateTimeOffset time, double rr, double spo2, double sbp, double pulse, double temp)
    {
        var id = $"{patient}-{time.UtcTicks}";
        yield return new(patient, "dev", MeasurementCodes.RespiratoryRate, time, rr, "/min", ObservationReference: $"Observation/rr-{id}");
        yield return new(patient, "dev", MeasurementCodes.OxygenSaturation, time, spo2, "%", ObservationReference: $"Observation/spo2-{id}");
        yield return new(patient, "dev", MeasurementCodes.InhaledOxygenFlowRate, time, 0, "L/min");
        yield return new(patient, "dev", MeasurementCodes.SystolicBloodPressure, time, sbp, "mm[Hg]", ObservationReference: $"Observation/sbp-{id}");
        yield return new(patient, "dev", MeasurementCodes.HeartRate, time, pulse, "/min", ObservationReference: $"Observation/hr-{id}");
        yield return new(patient, "dev", MeasurementCodes.LevelOfConsciousness, time, 0, "{score}");
        yield return new(patient, "dev", MeasurementCodes.BodyTemperature, time, temp, "Cel", ObservationReference: $"Observation/t-{id}");
    }

    // Well for an hour, then worsening every 5 minutes: respiration, SpO2, pressure, pulse and temperature all drift.
    private static IEnumerable<Measurement> Deteriorating(string patient, int fromStep, int toStep)
    {
        for (var step = fromStep; step < toStep; step++)
        {
            var worse = Math.Max(0, step - 12);
            foreach (var m in Vitals(patient, s_t0.AddMinutes(5 * step), 16 + worse, 97 - (worse / 2.0), 125 - (2 * worse), 75 + (4 * worse), 37.0 + (0.15 * worse)))
            {
                yield return m;
            }
        }
    }

    [Fact]
    public async Task A_deteriorating_patient_yields_RiskAssessments_and_alerts_across_a_partition_hand_over()
    {
        using var folder = new TempFolder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var store = await SqliteSnapshotStore.OpenAsync(folder.File("snapshots.db"), deadline.Token);
        var sink = new RecordingSink();
        var deadLetters = Channel.CreateUnbounded<DeadLetter<PatientInput>>();
        var options = new PatientAnalyticsOptions();
        await using var first = PatientAnalytics.CreateRuntime(options, s_runtimeOptions, store, sink, deadLetters.Writer.WriteAsync);
        await using var second = PatientAnalytics.CreateRuntime(options, s_runtimeOptions, store, sink, deadLetters.Writer.WriteAsync);
        first.OnPartitionsAssigned([0]);

        foreach (var m in Deteriorating("patient-x", 0, 18))
        {
            await first.SendAsync(m.PatientId, 0, m, deadline.Token);
        }

        await first.OnPartitionsRevokedAsync([0], deadline.Token);
        second.OnPartitionsAssigned([0]);
        foreach (var m in Deteriorating("patient-x", 18, 30))
        {
            await second.SendAsync(m.PatientId, 0, m, deadline.Token);
        }

        while (true)
        {
            if (await sink.Reader.ReadAsync(deadline.Token) is RiskAssessed { Result.Risk: ClinicalRisk.High })
            {
                break;
            }
        }

        await second.StopAsync(deadline.Token);

        Assert.False(deadLetters.Reader.TryRead(out _));
        var risks = sink.Risks.ToList();
        Assert.Equal(ClinicalRisk.Low, risks[0].Result.Risk);
        Assert.Equal(ClinicalRisk.High, risks[^1].Result.Risk);
        // One RiskAssessment id per evaluation time: a set completing at one time updates the same resource.
        Assert.Equal(risks.Select(r => r.Result.At).Distinct().Count(), risks.Select(r => r.RiskAssessment["id"]!.GetValue<string>()).Distinct().Count());
        var scores = risks.Select(r => r.Result.AggregateScore).ToList();
        Assert.Equal(scores.Order(), scores);
        // The alert state moved with the patient: one episode, raised once, never raised again by the second instance.
        var alerts = sink.Alerts.Where(a => a.Kind == "news2-risk").ToList();
        Assert.Single(alerts, a => a.Transition == AlertTransition.Raised);
        Assert.Single(alerts.Select(a => a.AlertId).Distinct());
        Assert.Contains(alerts, a => a.Severity == 3);
    }

    [Fact]
    public async Task Clock_ticks_reach_live_patients_and_report_silent_devices()
    {
        using var folder = new TempFolder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var store = await SqliteSnapshotStore.OpenAsync(folder.File("snapshots.db"), deadline.Token);
        var sink = new RecordingSink();
        await using var runtime = PatientAnalytics.CreateRuntime(
            new PatientAnalyticsOptions(), s_runtimeOptions, store, sink, (_, _) => ValueTask.CompletedTask);

        await runtime.SendAsync("a", new Measurement("a", "watch-a", MeasurementCodes.HeartRate, s_t0, 70, "/min"), deadline.Token);
        await runtime.SendAsync("b", new Measurement("b", "watch-b", MeasurementCodes.HeartRate, s_t0.AddMinutes(50), 70, "/min"), deadline.Token);
        await runtime.BroadcastToActiveAsync(key => new ClockTick(key, s_t0.AddMinutes(90)), deadline.Token);

        AlertRecord? silent = null;
        while (silent is null)
        {
            if (await sink.Reader.ReadAsync(deadline.Token) is AlertChanged { Alert.Kind: "device-silent" } changed)
            {
                silent = changed.Alert;
            }
        }

        await runtime.StopAsync(deadline.Token);
        Assert.Equal("a", silent.PatientId);
        Assert.Equal("watch-a", silent.Subject);
        Assert.Single(sink.Alerts, a => a.Kind == "device-silent");
    }

    [Fact]
    public async Task The_clock_ticker_reports_a_device_that_went_silent_without_new_data()
    {
        using var folder = new TempFolder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var time = new ManualTimeProvider(s_t0);
        var store = await SqliteSnapshotStore.OpenAsync(folder.File("snapshots.db"), deadline.Token);
        var sink = new RecordingSink();
        await using var runtime = PatientAnalytics.CreateRuntime(
            new PatientAnalyticsOptions(), s_runtimeOptions, store, sink, (_, _) => ValueTask.CompletedTask, time);
        await runtime.SendAsync("a", new Measurement("a", "watch-a", MeasurementCodes.HeartRate, s_t0, 70, "/min"), deadline.Token);
        using var stop = new CancellationTokenSource();
        var ticker = new ClockTicker(runtime, TimeSpan.FromMinutes(10), time).RunAsync(stop.Token);

        for (var minutes = 10; minutes <= 70; minutes += 10)
        {
            time.Advance(TimeSpan.FromMinutes(10));
        }

        AlertRecord? silent = null;
        while (silent is null)
        {
            if (await sink.Reader.ReadAsync(deadline.Token) is AlertChanged { Alert.Kind: "device-silent" } changed)
            {
                silent = changed.Alert;
            }
        }

        await stop.CancelAsync();
        await ticker;
        Assert.Equal("watch-a", silent.Subject);
        Assert.True(silent.Time >= s_t0.AddHours(1));
    }

    [Fact]
    public async Task An_idle_timeout_shorter_than_the_silence_threshold_fails_at_start()
    {
        using var folder = new TempFolder();
        var store = await SqliteSnapshotStore.OpenAsync(folder.File("snapshots.db"), CancellationToken.None);

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => PatientAnalytics.CreateRuntime(
            new PatientAnalyticsOptions { DeviceSilentAfter = TimeSpan.FromHours(1) },
            new ActorRuntimeOptions { IdleTimeout = TimeSpan.FromMinutes(30) },
            store,
            new RecordingSink(),
            (_, _) => ValueTask.CompletedTask));
        Assert.Contains("IdleTimeout", error.Message, StringComparison.Ordinal);
    }
}
