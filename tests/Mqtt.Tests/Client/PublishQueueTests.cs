using PatientStream.Mqtt.Client;

namespace PatientStream.Mqtt.Tests.Client;

public sealed class PublishQueueTests
{
    [Fact]
    public async Task Full_queue_blocks_writers_until_half_drained_then_admits_them_in_arrival_order()
    {
        var queue = new PublishQueue<int>(4);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(queue.TryWrite(i));
        }
        var blocked = Enumerable.Range(4, 3).Select(i => queue.WriteAsync(i, CancellationToken.None).AsTask()).ToList();
        Assert.False(queue.TryWrite(99));
        Assert.All(blocked, b => Assert.False(b.IsCompleted));

        Assert.True(queue.TryRead(out var first));
        Assert.All(blocked, b => Assert.False(b.IsCompleted));
        Assert.True(queue.TryRead(out var second));

        // Drained to half: the first two waiters fill the queue again, the third keeps waiting for the next drain.
        await Task.WhenAll(blocked[0], blocked[1]);
        Assert.False(blocked[2].IsCompleted);
        var rest = new List<int>();
        while (queue.TryRead(out var item))
        {
            rest.Add(item);
        }
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], [first, second, .. rest]);
        await blocked[2];
    }

    [Fact]
    public async Task Cancelled_writer_leaves_no_item_behind()
    {
        var queue = new PublishQueue<int>(2);
        queue.TryWrite(1);
        queue.TryWrite(2);
        using var cancel = new CancellationTokenSource();
        var blocked = queue.WriteAsync(3, cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        queue.TryRead(out _);
        queue.TryRead(out _);
        Assert.False(queue.TryRead(out _));
    }

    [Fact]
    public async Task Completing_the_queue_wakes_the_reader_with_false()
    {
        var queue = new PublishQueue<int>(2);
        var waiting = queue.WaitToReadAsync(CancellationToken.None);

        queue.Complete(new InvalidOperationException("closed"));

        Assert.False(await waiting);
    }
}
