using PatientStream.EdgeAgent.Buffer;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Buffer;

public sealed class DurableBufferTests : IDisposable
{
    private readonly TempFolder _folder = new("edge-buffer");
    private readonly EdgeMetrics _metrics = new();

    private BufferOptions Options(long maxBytes = 1L << 30) =>
        new() { Path = _folder.Combine("buffer.db"), MaxBytes = maxBytes, MinFreeDiskBytes = 0 };

    [Fact]
    public async Task Appended_batches_survive_closing_and_reopening_in_arrival_order()
    {
        await using (var buffer = DurableBuffer.Open(Options(), _metrics))
        {
            for (var seq = 1; seq <= 5; seq++)
            {
                Assert.Equal(AppendOutcome.Stored, await buffer.AppendAsync(Readings.Entry("dev-a", seq, "Patient/1"), CancellationToken.None));
            }
        }

        await using var reopened = DurableBuffer.Open(Options(), _metrics);
        var held = reopened.ReadOldest(100);
        Assert.Equal([1L, 2, 3, 4, 5], held.Select(b => b.Seq));
        Assert.All(held, b => Assert.Equal("Patient/1", b.Key));
        Assert.Equal(5, reopened.Count);
        Assert.Equal(held.Sum(b => (long)b.Value.Length), reopened.Bytes);
    }

    [Fact]
    public async Task A_retransmitted_batch_is_held_once()
    {
        await using var buffer = DurableBuffer.Open(Options(), _metrics);
        Assert.Equal(AppendOutcome.Stored, await buffer.AppendAsync(Readings.Entry("dev-a", 7, "Patient/1"), CancellationToken.None));
        Assert.Equal(AppendOutcome.Duplicate, await buffer.AppendAsync(Readings.Entry("dev-a", 7, "Patient/1"), CancellationToken.None));
        Assert.Equal(AppendOutcome.Stored, await buffer.AppendAsync(Readings.Entry("dev-b", 7, "Patient/2"), CancellationToken.None));

        Assert.Equal(2, buffer.Count);
        Assert.Equal(1, _metrics.Snapshot().Duplicates);
    }

    [Fact]
    public async Task A_full_buffer_holds_the_append_until_delivered_batches_free_room()
    {
        await using var buffer = DurableBuffer.Open(Options(maxBytes: 1 << 20), _metrics);
        var big = new BufferEntry("dev-a", 1, "Patient/1", new byte[700_000], Readings.At);
        await buffer.AppendAsync(big, CancellationToken.None);

        var waiting = buffer.AppendAsync(big with { Seq = 2 }, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, buffer.Count);

        buffer.Delete(buffer.ReadOldest(1));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(AppendOutcome.Stored, await waiting.WaitAsync(deadline.Token));
        Assert.Equal([2L], buffer.ReadOldest(10).Select(b => b.Seq));
    }

    [Fact]
    public async Task A_waiting_append_can_be_cancelled_and_leaves_nothing_behind()
    {
        await using var buffer = DurableBuffer.Open(Options(maxBytes: 1 << 20), _metrics);
        var big = new BufferEntry("dev-a", 1, "Patient/1", new byte[700_000], Readings.At);
        await buffer.AppendAsync(big, CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiting = buffer.AppendAsync(big with { Seq = 2 }, cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        buffer.Delete(buffer.ReadOldest(1));
        Assert.Equal(AppendOutcome.Stored, await buffer.AppendAsync(big with { Seq = 3 }, CancellationToken.None));
        Assert.Equal([3L], buffer.ReadOldest(10).Select(b => b.Seq));
    }

    [Fact]
    public async Task Deleting_counts_exactly_for_runs_gaps_and_batches_already_gone()
    {
        await using var buffer = DurableBuffer.Open(Options(), _metrics);
        for (var seq = 1; seq <= 10; seq++)
        {
            await buffer.AppendAsync(Readings.Entry("dev-a", seq, "Patient/1"), CancellationToken.None);
        }
        var held = buffer.ReadOldest(10);

        buffer.Delete([held[0], held[2], held[4]]);
        Assert.Equal(7, buffer.Count);
        buffer.Delete(held.Take(4).ToList());
        Assert.Equal(5, buffer.Count);
        buffer.Delete(held.Skip(4).ToList());

        Assert.Equal(0, buffer.Count);
        Assert.Equal(0, buffer.Bytes);
        Assert.Empty(buffer.ReadOldest(10));
    }

    [Fact]
    public async Task Quarantine_keeps_the_reason_and_the_newest_payloads()
    {
        await using var buffer = DurableBuffer.Open(Options() with { MaxQuarantined = 2 }, _metrics);
        for (var i = 0; i < 3; i++)
        {
            buffer.Quarantine("ps/v1/devices/dev-a/readings", $"reason {i}", [(byte)i], Readings.At);
        }

        var kept = buffer.ReadQuarantine();
        Assert.Equal(["reason 1", "reason 2"], kept.Select(q => q.Reason));
        Assert.Equal([(byte)2], kept[1].Payload);
    }

    [Fact]
    public void Options_without_a_path_fail_at_start_up()
    {
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => BufferOptionsValidator.EnsureValid(new BufferOptions { Path = " ", MaxBytes = 10 }));
        Assert.Contains("Path", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxBytes", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _folder.Dispose();
    }
}
