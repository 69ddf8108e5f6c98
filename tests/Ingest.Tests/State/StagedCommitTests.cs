using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.State;
using PatientStream.Ingest.Summaries;
using PatientStream.Testing;

namespace PatientStream.Ingest.Tests.State;

public sealed class StagedCommitTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new("ingest-staged");

    private string StatePath => _folder.Combine("state.db");

    [Fact]
    public void A_staged_commit_that_is_not_completed_leaves_keys_watermarks_and_windows_as_they_were()
    {
        var window = new WindowKey("Patient/p1", "steps", s_t0.UtcTicks);
        using (var store = IngestStateStore.Open(StatePath))
        {
            using (var staged = store.Stage(Changes("dev-1", 1, s_t0, window, 10), s_t0))
            {
                // Disposed without Complete: the batch failed somewhere after staging.
            }
            Assert.False(store.IsBatchSeen("dev-1", 1));
            Assert.Null(store.Watermark(new SeriesKey("dev-1", "steps")));
            Assert.Equal(0, store.Window(window).Count);

            using (var staged = store.Stage(Changes("dev-1", 2, s_t0.AddSeconds(1), window, 7), s_t0))
            {
                staged.Complete();
            }
        }

        using var reopened = IngestStateStore.Open(StatePath);
        Assert.False(reopened.IsBatchSeen("dev-1", 1));
        Assert.True(reopened.IsBatchSeen("dev-1", 2));
        Assert.True(reopened.IsSampleSeen(new SeriesKey("dev-1", "steps"), s_t0.AddSeconds(1)));
        Assert.Equal(s_t0.AddSeconds(1), reopened.Watermark(new SeriesKey("dev-1", "steps")));
        Assert.Equal(new WindowAggregate(1, 7, 7, 7, SampleQuality.None, "dev-1"), reopened.Window(window));
    }

    [Fact]
    public void Only_one_commit_can_be_staged_at_a_time()
    {
        using var store = IngestStateStore.Open(StatePath);
        using var staged = store.Stage(new StateChanges(), s_t0);

        Assert.Throws<InvalidOperationException>(() => store.Stage(new StateChanges(), s_t0));
    }

    [Fact]
    public void Windows_older_than_the_cutoff_are_pruned()
    {
        using var store = IngestStateStore.Open(StatePath);
        var old = new WindowKey("Patient/p1", "steps", s_t0.AddDays(-40).UtcTicks);
        var recent = new WindowKey("Patient/p1", "steps", s_t0.UtcTicks);
        var changes = new StateChanges();
        changes.SetWindow(old, new WindowAggregate(1, 5, 5, 5, SampleQuality.None, "dev-1"));
        changes.SetWindow(recent, new WindowAggregate(1, 6, 6, 6, SampleQuality.None, "dev-1"));
        store.Commit(changes, s_t0);

        Assert.Equal(1, store.Prune(s_t0.AddDays(-1), TimeSpan.FromMinutes(15), s_t0.AddDays(-31)));

        Assert.Equal(0, store.Window(old).Count);
        Assert.Equal(1, store.Window(recent).Count);
    }

    public void Dispose() => _folder.Dispose();

    private static StateChanges Changes(string device, long seq, DateTimeOffset time, WindowKey window, double steps)
    {
        var changes = new StateChanges();
        changes.AddBatch(device, seq);
        var series = new SeriesKey(device, "steps");
        changes.AddSample(series, time);
        changes.Advance(series, time);
        changes.SetWindow(window, new WindowAggregate(1, steps, steps, steps, SampleQuality.None, device));
        return changes;
    }
}
