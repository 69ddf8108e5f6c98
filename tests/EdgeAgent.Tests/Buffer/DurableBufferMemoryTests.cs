using PatientStream.EdgeAgent.Buffer;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Buffer;

/// <summary>The newest batches kept in memory for the forwarder must always agree with what the disk holds.</summary>
public sealed class DurableBufferMemoryTests : IDisposable
{
    private readonly TempFolder _folder = new("edge-buffer-memory");
    private readonly EdgeMetrics _metrics = new();

    private BufferOptions Options(long inMemory = 64L << 20) =>
        new() { Path = _folder.Combine("buffer.db"), MinFreeDiskBytes = 0, MaxBytesInMemory = inMemory };

    private static async Task AppendAsync(DurableBuffer buffer, int count)
    {
        for (var seq = 1; seq <= count; seq++)
        {
            await buffer.AppendAsync(Readings.Entry(seq % 2 == 0 ? "dev-a" : "dev-b", seq, "Patient/1"), CancellationToken.None);
        }
    }

    private static List<BufferedBatch> ReadAll(DurableBuffer buffer, int window)
    {
        var all = new List<BufferedBatch>();
        for (var next = buffer.ReadAfter(0, window); next.Count > 0; next = buffer.ReadAfter(next[^1].Id, window))
        {
            all.AddRange(next);
        }
        return all;
    }

    private static object Shape(BufferedBatch b) => (b.Id, b.Device, b.Seq, b.Key, Convert.ToBase64String(b.Value), b.Received);

    [Fact]
    public async Task Batches_read_from_memory_are_those_the_disk_gives_after_a_restart()
    {
        List<BufferedBatch> fromMemory;
        await using (var buffer = DurableBuffer.Open(Options(), _metrics))
        {
            await AppendAsync(buffer, 20);
            fromMemory = ReadAll(buffer, 7);
        }

        await using var reopened = DurableBuffer.Open(Options(), _metrics);
        var fromDisk = ReadAll(reopened, 7);

        Assert.Equal(20, fromMemory.Count);
        Assert.Equal(fromDisk.Select(Shape), fromMemory.Select(Shape));
    }

    [Fact]
    public async Task Past_the_memory_budget_the_oldest_batches_come_from_disk_in_order_and_once()
    {
        var size = Readings.Entry("dev-a", 1, "Patient/1").Value.Length;
        await using var buffer = DurableBuffer.Open(Options(inMemory: size * 3), _metrics);
        await AppendAsync(buffer, 10);

        var read = ReadAll(buffer, 4);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), read.Select(b => b.Seq));
        Assert.Equal(read.Count, read.Select(b => b.Id).Distinct().Count());
        buffer.Delete(read);
        Assert.Empty(buffer.ReadAfter(0, 100));
        Assert.Equal(0, buffer.Count);
    }

    [Fact]
    public async Task Delivered_batches_are_not_read_again_and_the_rest_are()
    {
        await using var buffer = DurableBuffer.Open(Options(), _metrics);
        await AppendAsync(buffer, 6);
        var held = buffer.ReadAfter(0, 100);

        buffer.Delete([.. held.Where(b => b.Seq is 1 or 2 or 3 or 5)]);

        Assert.Equal([4L, 6], buffer.ReadAfter(0, 100).Select(b => b.Seq));
        Assert.Equal([6L], buffer.ReadAfter(held[3].Id, 100).Select(b => b.Seq));
        Assert.Equal(2, buffer.Count);
    }

    [Fact]
    public async Task Deliveries_deleted_with_the_next_commit_leave_memory_at_once_and_the_disk_with_the_appends()
    {
        await using (var buffer = DurableBuffer.Open(Options(), _metrics))
        {
            await AppendAsync(buffer, 4);
            var held = buffer.ReadAfter(0, 100);

            buffer.DeleteWithNextCommit([.. held.Take(3)]);
            Assert.Equal([4L], buffer.ReadAfter(0, 100).Select(b => b.Seq));

            await buffer.AppendAsync(Readings.Entry("dev-a", 10, "Patient/1"), CancellationToken.None);
            Assert.Equal(2, buffer.Count);
            Assert.Equal(buffer.ReadAfter(0, 100).Sum(b => (long)b.Value.Length), buffer.Bytes);
        }

        await using var reopened = DurableBuffer.Open(Options(), _metrics);
        Assert.Equal([4L, 10], reopened.ReadOldest(100).Select(b => b.Seq));
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _folder.Dispose();
    }
}
