using System.Buffers;
using System.Buffers.Binary;
using System.Threading.Channels;
using PatientStream.Analytics.Actors;

namespace PatientStream.Analytics.Tests.Actors;

/// <summary>A message for <see cref="SequenceActor"/>; the optional parts script failures and blocking.</summary>
/// <remarks><see cref="Offset"/> (the Kafka offset, when there is one) makes the actor idempotent under redelivery.</remarks>
public sealed record Probe(int Seq, FailureScript? Fail = null, TaskCompletionSource? Started = null, Task? Gate = null, bool IsTick = false, long Offset = -1);

/// <summary>Fails the first <c>n</c> attempts at a message.</summary>
public sealed class FailureScript(int failures)
{
    private int _left = failures;

    public bool ShouldFail() => Interlocked.Decrement(ref _left) >= 0;
}

public sealed record Handled(string Key, int Seq, int Count);

/// <summary>Records the sequence numbers it has seen, and any that arrived out of order.</summary>
public sealed class SequenceActor(string key, ChannelWriter<Handled> log) : IActor<Probe>
{
    private readonly List<int> _seen = [];
    private int _outOfOrder;
    private long _lastOffset = -1;

    public async ValueTask ReceiveAsync(Probe message, ActorContext context)
    {
        if (!context.IsReplay)
        {
            message.Started?.TrySetResult();
            if (message.Gate is not null)
            {
                await message.Gate;
            }
        }

        if (message.IsTick || (message.Offset >= 0 && message.Offset <= _lastOffset))
        {
            return;
        }

        _lastOffset = Math.Max(_lastOffset, message.Offset);

        if (_seen.Count > 0 && message.Seq != _seen[^1] + 1)
        {
            _outOfOrder++;
        }

        _seen.Add(message.Seq);
        // The state is already changed when the failure hits: a restart must throw that change away.
        if (!context.IsReplay && message.Fail?.ShouldFail() == true)
        {
            throw new InvalidOperationException("scripted failure");
        }

        if (!context.IsReplay)
        {
            log.TryWrite(new Handled(key, message.Seq, _seen.Count));
        }
    }

    public void WriteSnapshot(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(16 + (4 * _seen.Count));
        BinaryPrimitives.WriteInt32LittleEndian(span, _outOfOrder);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], _seen.Count);
        for (var i = 0; i < _seen.Count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[(8 + (4 * i))..], _seen[i]);
        }

        BinaryPrimitives.WriteInt64LittleEndian(span[(8 + (4 * _seen.Count))..], _lastOffset);
        output.Advance(16 + (4 * _seen.Count));
    }

    public void RestoreSnapshot(ReadOnlySpan<byte> snapshot)
    {
        (_outOfOrder, var seen) = Decode(snapshot);
        _seen.Clear();
        _seen.AddRange(seen);
        _lastOffset = BinaryPrimitives.ReadInt64LittleEndian(snapshot[(8 + (4 * seen.Length))..]);
    }

    public static (int OutOfOrder, int[] Seen) Decode(ReadOnlySpan<byte> snapshot)
    {
        var outOfOrder = BinaryPrimitives.ReadInt32LittleEndian(snapshot);
        var seen = new int[BinaryPrimitives.ReadInt32LittleEndian(snapshot[4..])];
        for (var i = 0; i < seen.Length; i++)
        {
            seen[i] = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(8 + (4 * i))..]);
        }

        return (outOfOrder, seen);
    }
}

public sealed record Lifecycle(string Kind, string Key, bool FromSnapshot = false);

public sealed class RecordingObserver : IActorObserver
{
    private readonly Channel<Lifecycle> _events = Channel.CreateUnbounded<Lifecycle>();

    public ChannelReader<Lifecycle> Events => _events.Reader;

    public void Activated(string key, bool fromSnapshot) => _events.Writer.TryWrite(new("activated", key, fromSnapshot));

    public void Passivated(string key) => _events.Writer.TryWrite(new("passivated", key));

    public void Restarted(string key, Exception exception, int attempt) => _events.Writer.TryWrite(new("restarted", key));

    public void Retired(string key) => _events.Writer.TryWrite(new("retired", key));

    /// <summary>Reads events until one of the given kind for the key, returning everything read.</summary>
    public async Task<List<Lifecycle>> WaitForAsync(string kind, string key, CancellationToken cancellationToken)
    {
        var seen = new List<Lifecycle>();
        while (true)
        {
            var next = await _events.Reader.ReadAsync(cancellationToken);
            seen.Add(next);
            if (next.Kind == kind && next.Key == key)
            {
                return seen;
            }
        }
    }
}
