using System.Buffers;
using System.Net;
using System.Net.Sockets;
using PatientStream.Mqtt.Formatter;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Tests.Client;

/// <summary>
/// A loopback socket that plays back bytes a real broker will not produce (malformed frames, SUBACK failures), so
/// the client's handling of hostile input can be tested. It implements no broker behaviour of its own.
/// </summary>
internal sealed class ScriptedPeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly MqttProtocolVersion _version;
    private Socket? _socket;
    private ReadOnlySequence<byte> _pending = ReadOnlySequence<byte>.Empty;

    public ScriptedPeer(MqttProtocolVersion version)
    {
        _version = version;
        _listener.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async Task AcceptAsync(CancellationToken ct)
    {
        _socket = await _listener.AcceptSocketAsync(ct);
        var connect = await ReceiveAsync(ct);
        Assert.IsType<MqttConnectPacket>(connect);
        await SendAsync(new MqttPacketEncoder(_version).Encode(new MqttConnAckPacket()), ct);
    }

    public async Task SendAsync(byte[] bytes, CancellationToken ct) => await _socket!.SendAsync(bytes, ct);

    /// <summary>The next packet from the client, or null when it closed the connection.</summary>
    public async Task<MqttPacket?> ReceiveAsync(CancellationToken ct)
    {
        var chunk = new byte[4096];
        while (true)
        {
            var buffer = _pending;
            if (MqttFrameReader.TryReadFrame(ref buffer, 1 << 20, out var header, out var body))
            {
                _pending = new ReadOnlySequence<byte>(buffer.ToArray());
                return MqttPacketDecoder.Decode(header, body.ToArray(), _version);
            }
            var read = await _socket!.ReceiveAsync(chunk, ct);
            if (read == 0)
            {
                return null;
            }
            _pending = new ReadOnlySequence<byte>([.. _pending.ToArray(), .. chunk.AsSpan(0, read)]);
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }
}
