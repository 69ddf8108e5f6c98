using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.State;
using PatientStream.Testing;

namespace PatientStream.Ingest.Tests.State;

public sealed class SeriesGateTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_now = s_t0.AddMinutes(1);
    private readonly TempFolder _folder = new("ingest-state");

    private string StatePath => _folder.Combine("state.db");

    [Fact]
    public void A_batch_seen_before_a_restart_is_recognised_after_it()
    {
        using (var store = IngestStateStore.Open(StatePath))
        {
            var gate = new SeriesGate(store, TimeSpan.FromMinutes(10));
            var changes = new StateChanges();
            Assert.True(gate.AdmitBatch(changes, "dev-1", 42));
            Assert.False(gate.AdmitBatch(changes, "dev-1", 42));
            store.Commit(changes, s_now);
        }

        using var reopened = IngestStateStore.Open(StatePath);
        var after = new SeriesGate(reopened, TimeSpan.FromMinutes(10));
        Assert.False(after.AdmitBatch(new StateChanges(), "dev-1", 42));
        Assert.True(after.AdmitBatch(new StateChanges(), "dev-1", 43));
        Assert.True(after.AdmitBatch(new StateChanges(), "dev-2", 42));
    }

    [Fact]
    public void A_sample_seen_before_a_restart_is_a_duplicate_after_it_even_in_a_new_batch()
    {
        using (var store = IngestStateStore.Open(StatePath))
        {
            var gate = new SeriesGate(store, TimeSpan.FromMinutes(10));
            var changes = new StateChanges();
            Assert.Equal(GateVerdict.Accepted, gate.Admit(changes, Sample(s_t0)).Verdict);
            Assert.Equal(GateVerdict.Accepted, gate.Admit(changes, Sample(s_t0.AddSeconds(1))).Verdict);
            Assert.Equal(GateVerdict.Duplicate, gate.Admit(changes, Sample(s_t0.AddSeconds(1))).Verdict);
            store.Commit(changes, s_now);
        }

        using var reopened = IngestStateStore.Open(StatePath);
        var after = new SeriesGate(reopened, TimeSpan.FromMinutes(10));
        var next = new StateChanges();
        Assert.Equal(GateVerdict.Duplicate, after.Admit(next, Sample(s_t0)).Verdict);
        Assert.Equal(GateVerdict.Duplicate, after.Admit(next, Sample(s_t0.AddSeconds(1))).Verdict);
        Assert.Equal(GateVerdict.Accepted, after.Admit(next, Sample(s_t0, type: SampleTypes.Spo2)).Verdict);
        Assert.Equal(GateVerdict.Accepted, after.Admit(next, Sample(s_t0, device: "dev-2")).Verdict);
        Assert.Equal(s_t0.AddSeconds(1), reopened.Watermark(new SeriesKey("dev-1", "heart-rate")));
    }

    [Fact]
    public void Uncommitted_changes_are_not_remembered_so_a_retried_batch_is_judged_afresh()
    {
        using var store = IngestStateStore.Open(StatePath);
        var gate = new SeriesGate(store, TimeSpan.FromMinutes(10));
        var abandoned = new StateChanges();
        Assert.True(gate.AdmitBatch(abandoned, "dev-1", 7));
        Assert.Equal(GateVerdict.Accepted, gate.Admit(abandoned, Sample(s_t0.AddMinutes(30))).Verdict);

        var retry = new StateChanges();
        Assert.True(gate.AdmitBatch(retry, "dev-1", 7));
        var (verdict, sample) = gate.Admit(retry, Sample(s_t0));
        Assert.Equal(GateVerdict.Accepted, verdict);
        Assert.Equal(SampleQuality.None, sample.Quality);
    }

    [Fact]
    public void Out_of_order_samples_within_the_lateness_are_accepted_and_flagged()
    {
        using var store = IngestStateStore.Open(StatePath);
        var gate = new SeriesGate(store, TimeSpan.FromMinutes(10));
        var changes = new StateChanges();
        gate.Admit(changes, Sample(s_t0.AddMinutes(10)));

        var (verdict, sample) = gate.Admit(changes, Sample(s_t0.AddMinutes(1), SampleQuality.Implausible));

        Assert.Equal(GateVerdict.Accepted, verdict);
        Assert.Equal(SampleQuality.OutOfOrder | SampleQuality.Implausible, sample.Quality);
    }

    [Fact]
    public void Samples_later_than_the_lateness_go_to_the_late_path_also_after_a_restart()
    {
        using (var store = IngestStateStore.Open(StatePath))
        {
            var changes = new StateChanges();
            new SeriesGate(store, TimeSpan.FromMinutes(5)).Admit(changes, Sample(s_t0.AddMinutes(10)));
            store.Commit(changes, s_now);
        }
        using var reopened = IngestStateStore.Open(StatePath);
        var gate = new SeriesGate(reopened, TimeSpan.FromMinutes(5));
        var next = new StateChanges();

        var (late, lateSample) = gate.Admit(next, Sample(s_t0.AddMinutes(4).AddSeconds(59)));
        var (inTime, inTimeSample) = gate.Admit(next, Sample(s_t0.AddMinutes(5)));

        Assert.Equal(GateVerdict.TooLate, late);
        Assert.True(lateSample.Quality.HasFlag(SampleQuality.Late));
        Assert.Equal(GateVerdict.Accepted, inTime);
        Assert.Equal(SampleQuality.OutOfOrder, inTimeSample.Quality);
        Assert.Equal(GateVerdict.Duplicate, gate.Admit(next, Sample(s_t0.AddMinutes(4).AddSeconds(59))).Verdict);
    }

    [Fact]
    public void A_waveform_moves_the_watermark_to_its_last_point()
    {
        using var store = IngestStateStore.Open(StatePath);
        var gate = new SeriesGate(store, TimeSpan.Zero);
        var changes = new StateChanges();
        var wave = new CleanSample("Patient/p1", "dev-1", 1, SampleTypes.Ecg, s_t0, null, "mV", SampleQuality.None, null, 4, [0.1, 0.2, 0.3]);
        gate.Admit(changes, wave);

        Assert.Equal(s_t0.AddMilliseconds(8), changes.Watermark(new SeriesKey("dev-1", "ecg")));
        Assert.Equal(GateVerdict.TooLate, gate.Admit(changes, wave with { Time = s_t0.AddMilliseconds(4) }).Verdict);
        Assert.Equal(GateVerdict.Accepted, gate.Admit(changes, wave with { Time = s_t0.AddMilliseconds(12) }).Verdict);
    }

    [Fact]
    public void Pruning_forgets_old_batch_keys_and_sample_keys_beyond_the_window_behind_their_series()
    {
        using var store = IngestStateStore.Open(StatePath);
        var gate = new SeriesGate(store, TimeSpan.FromHours(1));
        var old = new StateChanges();
        gate.AdmitBatch(old, "dev-1", 1);
        gate.Admit(old, Sample(s_t0));
        gate.Admit(old, Sample(s_t0, type: SampleTypes.Spo2));
        store.Commit(old, s_now);
        var recent = new StateChanges();
        gate.AdmitBatch(recent, "dev-1", 2);
        gate.Admit(recent, Sample(s_t0.AddMinutes(30)));
        store.Commit(recent, s_now.AddHours(2));
        var heartRate = new SeriesKey("dev-1", "heart-rate");
        var spo2 = new SeriesKey("dev-1", "spo2");

        Assert.Equal(2, store.Prune(s_now.AddHours(1), TimeSpan.FromMinutes(10)));

        Assert.False(store.IsBatchSeen("dev-1", 1));
        Assert.True(store.IsBatchSeen("dev-1", 2));
        Assert.False(store.IsSampleSeen(heartRate, s_t0));
        Assert.True(store.IsSampleSeen(heartRate, s_t0.AddMinutes(30)));
        // The newest key of a series is never behind its own watermark.
        Assert.True(store.IsSampleSeen(spo2, s_t0));
        Assert.Equal(s_t0.AddMinutes(30), store.Watermark(heartRate));
    }

    public void Dispose() => _folder.Dispose();

    private static CleanSample Sample(DateTimeOffset time, SampleQuality quality = SampleQuality.None, SampleType? type = null, string device = "dev-1") =>
        new("Patient/p1", device, 1, type ?? SampleTypes.HeartRate, time, 70, "/min", quality);
}
