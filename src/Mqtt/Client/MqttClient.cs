using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Mqtt.Client;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt;

/// <summary>
/// An MQTT 3.1.1 / 5.0 client over TCP or TLS. One writer loop owns the socket's write side and batches packets;
/// one reader loop decodes frames; QoS 1/2 publications stay in the session until acknowledged and are resent with
/// DUP after an automatic reconnect.
/// </summary>
public sealed partial class MqttClient : IMqttClient
{
    private readonly MqttClientOptions _options;
    private readonly ILogger _logger;
    private readonly MqttSession _session = new();
    private readonly InflightWindow _window;
    private readonly PublishQueue<OutgoingPublish> _publishQueue;
    private readonly Channel<MqttReceivedMessage> _messages;
    private readonly CancellationTokenSource _disposed = new();
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private volatile MqttConnection? _connection;
    private volatile bool _everConnected;
    private volatile bool _stopped = true;
    private Task _reconnectLoop = Task.CompletedTask;

    // A publication taken from the queue while the inflight window was full; the next writer loop sends it first.
    private OutgoingPublish? _heldPublish;
    private readonly SemaphoreSlim _pingResponses = new(0);

    public MqttClient(MqttClientOptions options, ILogger<MqttClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _window = new InflightWindow(options.MaxInflight);
        _publishQueue = new PublishQueue<OutgoingPublish>(options.MaxQueuedMessages);
        _messages = Channel.CreateBounded<MqttReceivedMessage>(new BoundedChannelOptions(options.ReceiveBufferCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });
    }

    public MqttClientOptions Options => _options;

    public bool IsConnected => _connection is { HasEnded: false };

    public ChannelReader<MqttReceivedMessage> Messages => _messages.Reader;

    /// <summary>QoS 1/2 publications awaiting their final acknowledgement.</summary>
    public int InflightCount => _window.Used;

    public event EventHandler<MqttConnectedEventArgs>? Connected;

    public event EventHandler<MqttDisconnectedEventArgs>? Disconnected;

    public async Task<MqttConnectResult> ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsConnected)
            {
                throw new InvalidOperationException("The client is already connected.");
            }
            _stopped = false;
            try
            {
                var result = await ConnectCoreAsync(isReconnect: false, cancellationToken).ConfigureAwait(false);
                _stopped = !result.IsSuccess;
                return result;
            }
            catch
            {
                _stopped = true;
                throw;
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    public async Task DisconnectAsync(MqttReasonCode reason = MqttReasonCode.Success, CancellationToken cancellationToken = default)
    {
        _stopped = true;
        var connection = _connection;
        if (connection is null || connection.HasEnded)
        {
            return;
        }
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var packet = new MqttDisconnectPacket { ReasonCode = reason };
        if (connection.Control.Writer.TryWrite(new ControlItem(packet, written)))
        {
            try
            {
                await written.Task.WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or MqttConnectionException or OperationCanceledException)
            {
                _logger.LogDebug(ex, "DISCONNECT could not be written; closing anyway");
            }
        }
        await EndConnectionAsync(connection, new MqttDisconnectInfo(reason, ByServer: false)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }
        try
        {
            await DisconnectAsync(MqttReasonCode.Success, CancellationToken.None).ConfigureAwait(false);
        }
        catch (MqttConnectionException ex)
        {
            _logger.LogDebug(ex, "Disconnect during dispose failed");
        }
        await _disposed.CancelAsync().ConfigureAwait(false);
        await _reconnectLoop.ConfigureAwait(false);
        var error = new MqttConnectionException(MqttConnectionError.Disposed, "The MQTT client was disposed.");
        FailAllPublishes(error);
        _session.FailRequests(error);
        _publishQueue.Complete(error);
        _messages.Writer.TryComplete();
        FailQueued(error);
        _disposed.Dispose();
        _connectGate.Dispose();
        _pingResponses.Dispose();
    }

    /// <summary>Drops the socket without DISCONNECT, as a network failure would (the will fires, reconnect starts).</summary>
    internal void AbortConnection() => _connection?.Stream.Dispose();

    internal async Task WaitForPingResponsesAsync(int count, TimeSpan deadline)
    {
        for (var i = 0; i < count; i++)
        {
            if (!await _pingResponses.WaitAsync(deadline).ConfigureAwait(false))
            {
                throw new TimeoutException("No PINGRESP within the deadline.");
            }
        }
    }

    /// <summary>Fails publications still waiting in the queue (QoS 0 ones are dropped); nothing is writing meanwhile.</summary>
    private void FailQueued(Exception error)
    {
        if (Interlocked.Exchange(ref _heldPublish, null) is { } held)
        {
            held.Pending?.Completion.TrySetException(error);
        }
        while (_publishQueue.TryRead(out var item))
        {
            item.Pending?.Completion.TrySetException(error);
        }
    }

    private void FailAllPublishes(Exception error)
    {
        foreach (var pending in _session.RemoveAllPublishes())
        {
            if (pending.Completion.TrySetException(error) && pending.HoldsSlot)
            {
                _window.Release();
            }
        }
    }

    private void RaiseConnected(MqttConnectResult result, bool isReconnect)
    {
        try
        {
            Connected?.Invoke(this, new MqttConnectedEventArgs(result, isReconnect));
        }
#pragma warning disable CA1031 // A subscriber's bug must not take the connection down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "A Connected handler failed");
        }
    }

    private void RaiseDisconnected(MqttDisconnectInfo info)
    {
        try
        {
            Disconnected?.Invoke(this, new MqttDisconnectedEventArgs(info));
        }
#pragma warning disable CA1031 // A subscriber's bug must not stop the reconnect loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "A Disconnected handler failed");
        }
    }
}

/// <summary>An entry of the publish queue: a QoS 0 packet, or a QoS 1/2 publication tracked by the session.</summary>
internal sealed record OutgoingPublish(MqttPublishPacket Packet, PendingPublish? Pending);
