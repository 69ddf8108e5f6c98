using System.IO.Pipelines;
using System.Threading.Channels;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Client;

/// <summary>A packet for the writer loop outside the publish queue (acknowledgements, pings, requests), sent first.</summary>
internal sealed record ControlItem(MqttPacket Packet, TaskCompletionSource? Written = null);

/// <summary>One live network connection: its stream, loops and per-connection protocol state (topic aliases).</summary>
internal sealed class MqttConnection : IAsyncDisposable
{
    private static long s_nextId;
    private readonly CancellationTokenSource _closing = new();
    private int _ended;

    public MqttConnection(Stream stream, MqttProtocolVersion version)
    {
        Stream = stream;
        Version = version;
        Reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 8 * 1024, minimumReadSize: 2 * 1024, leaveOpen: true));
        // Bounded: acknowledgements are limited by the broker's inflight window and requests by their callers.
        Control = Channel.CreateBounded<ControlItem>(new BoundedChannelOptions(4096)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long Id { get; } = Interlocked.Increment(ref s_nextId);
    public Stream Stream { get; }
    public PipeReader Reader { get; }
    public MqttProtocolVersion Version { get; }
    public Channel<ControlItem> Control { get; }
    public CancellationToken Closing => _closing.Token;

    public uint MaximumOutgoingPacketSize { get; set; } = uint.MaxValue;
    public ushort OutgoingTopicAliasMaximum { get; set; }
    public Dictionary<string, ushort> OutgoingAliases { get; } = new(StringComparer.Ordinal);
    public Dictionary<ushort, string> IncomingAliases { get; } = [];
    public ushort IncomingTopicAliasMaximum { get; set; }
    public TimeSpan KeepAlive { get; set; }

    public long LastWrittenTicks;
    public long PingSentTicks;

    public Task ReadLoop { get; set; } = Task.CompletedTask;
    public Task WriteLoop { get; set; } = Task.CompletedTask;
    public Task KeepAliveLoop { get; set; } = Task.CompletedTask;

    /// <summary>True exactly once: for the first party that notices the connection ended.</summary>
    public bool TryEnd() => Interlocked.Exchange(ref _ended, 1) == 0;

    public bool HasEnded => Volatile.Read(ref _ended) == 1;

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        Control.Writer.TryComplete();
        await Reader.CompleteAsync().ConfigureAwait(false);
        await Stream.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
    }

    public void Cancel()
    {
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: nothing left to cancel.
        }
    }
}
