using Microsoft.Extensions.Logging;
using PatientStream.Mqtt.Client;
using PatientStream.Mqtt.Formatter;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt;

public sealed partial class MqttClient
{
    /// <summary>Observation point for tests: every packet the writer loop puts on the wire, in order.</summary>
    internal Action<MqttPacket>? PacketEncoded { get; set; }

    // Batching many small packets into one socket write is what makes QoS 0 fast; the cap keeps latency low.
    private const int FlushThreshold = 64 * 1024;

    private async Task WriteLoopAsync(MqttConnection connection)
    {
        var ct = connection.Closing;
        var encoder = new MqttPacketEncoder(connection.Version);
        var output = new MqttBufferWriter(4096);
        var written = new List<TaskCompletionSource>();
        Exception? failure = null;
        try
        {
            foreach (var pending in _session.SentPublishes())
            {
                var packet = pending.Released
                    ? new MqttAckPacket(MqttPacketType.PubRel, pending.Packet.PacketId)
                    : (MqttPacket)(pending.Packet with { Dup = true });
                EncodeOrFail(connection, encoder, output, packet, pending);
                if (output.Length >= FlushThreshold)
                {
                    await FlushAsync(connection, output, written, ct).ConfigureAwait(false);
                }
            }
            Task<bool>? controlWait = null;
            Task<bool>? publishWait = null;
            while (!ct.IsCancellationRequested)
            {
                var windowFull = false;
                while (output.Length < FlushThreshold)
                {
                    if (connection.Control.Reader.TryRead(out var control))
                    {
                        EncodeControl(connection, encoder, output, control, written);
                    }
                    else if (_heldPublish is not null || _publishQueue.TryRead(out _heldPublish))
                    {
                        if (!TryTakeSlot(_heldPublish))
                        {
                            windowFull = true;
                            break;
                        }
                        var publish = _heldPublish;
                        _heldPublish = null;
                        EncodePublish(connection, encoder, output, publish);
                    }
                    else
                    {
                        break;
                    }
                }
                if (output.Length > 0)
                {
                    await FlushAsync(connection, output, written, ct).ConfigureAwait(false);
                    continue;
                }
                // Idle (or blocked on the window): wait for a control packet and for either a publication or a free
                // slot. A wait that did not fire is kept for the next round rather than abandoned, so an idle source
                // does not collect one waiter per loop.
                controlWait ??= connection.Control.Reader.WaitToReadAsync(ct).AsTask();
                Task other;
                if (windowFull)
                {
                    other = _window.WaitForSlotAsync(ct);
                }
                else
                {
                    publishWait ??= _publishQueue.WaitToReadAsync(ct);
                    other = publishWait;
                }
                var fired = await Task.WhenAny(controlWait, other).ConfigureAwait(false);
                if (fired == controlWait)
                {
                    if (!await controlWait.ConfigureAwait(false))
                    {
                        return;
                    }
                    controlWait = null;
                }
                else if (fired == publishWait)
                {
                    if (!await publishWait.ConfigureAwait(false))
                    {
                        return;
                    }
                    publishWait = null;
                }
                else
                {
                    await fired.ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            failure = ex;
        }
        finally
        {
            foreach (var w in written)
            {
                w.TrySetException(new MqttConnectionException(MqttConnectionError.ConnectionLost, "The connection closed before the packet was written."));
            }
        }
        if (failure is not null)
        {
            ScheduleEnd(connection, new MqttDisconnectInfo(MqttReasonCode.UnspecifiedError, ByServer: false) { Exception = failure });
        }
    }

    private void EncodeControl(MqttConnection connection, MqttPacketEncoder encoder, MqttBufferWriter output, ControlItem control,
        List<TaskCompletionSource> written)
    {
        if (EncodeOrFail(connection, encoder, output, control.Packet, pending: null))
        {
            if (control.Written is not null)
            {
                written.Add(control.Written);
            }
        }
        else
        {
            control.Written?.TrySetException(new MqttProtocolException(MqttProtocolError.PacketTooLarge, "Packet too large for the broker."));
        }
    }

    /// <summary>QoS 0 needs no slot; a QoS 1/2 publication takes one unless it already holds one or was settled meanwhile.</summary>
    private bool TryTakeSlot(OutgoingPublish item)
    {
        if (item.Pending is not { } pending || pending.HoldsSlot || pending.Completion.Task.IsCompleted)
        {
            return true;
        }
        if (!_window.TryAcquire())
        {
            return false;
        }
        _session.Assign(pending);
        return true;
    }

    private static async Task FlushAsync(MqttConnection connection, MqttBufferWriter output, List<TaskCompletionSource> written, CancellationToken ct)
    {
        await connection.Stream.WriteAsync(output.WrittenMemory, ct).ConfigureAwait(false);
        await connection.Stream.FlushAsync(ct).ConfigureAwait(false);
        Volatile.Write(ref connection.LastWrittenTicks, Environment.TickCount64);
        if (output.Length > 4 * FlushThreshold)
        {
            output.Trim(4096);
        }
        output.Reset();
        foreach (var w in written)
        {
            w.TrySetResult();
        }
        written.Clear();
    }

    private void EncodePublish(MqttConnection connection, MqttPacketEncoder encoder, MqttBufferWriter output, OutgoingPublish item)
    {
        var packet = item.Pending?.Packet ?? item.Packet;
        if (item.Pending is { } pending)
        {
            if (pending.Completion.Task.IsCompleted)
            {
                return;
            }
        }
        EncodeOrFail(connection, encoder, output, ApplyTopicAlias(connection, packet), item.Pending);
    }

    /// <summary>Encodes into the batch; a packet above the broker's maximum size fails alone instead of killing the connection.</summary>
    private bool EncodeOrFail(MqttConnection connection, MqttPacketEncoder encoder, MqttBufferWriter output, MqttPacket packet, PendingPublish? pending)
    {
        try
        {
            encoder.Encode(packet, output, connection.MaximumOutgoingPacketSize);
            PacketEncoded?.Invoke(packet);
            return true;
        }
        catch (MqttProtocolException ex) when (ex.Error == MqttProtocolError.PacketTooLarge)
        {
            _logger.LogWarning("MQTT {Type} of more than the broker's maximum packet size was not sent", packet.Type);
            if (pending is not null && _session.RemovePublish(pending.Packet.PacketId) is not null)
            {
                if (pending.Completion.TrySetResult(new MqttPublishResult(MqttReasonCode.PacketTooLarge) { PacketId = pending.Packet.PacketId })
                    && pending.HoldsSlot)
                {
                    _window.Release();
                }
            }
            return false;
        }
    }

    private static MqttPublishPacket ApplyTopicAlias(MqttConnection connection, MqttPublishPacket packet)
    {
        if (connection.OutgoingTopicAliasMaximum == 0)
        {
            return packet;
        }
        var properties = CloneProperties(packet.Properties);
        if (connection.OutgoingAliases.TryGetValue(packet.Topic, out var alias))
        {
            properties.TopicAlias = alias;
            return packet with { Topic = "", Properties = properties };
        }
        if (connection.OutgoingAliases.Count >= connection.OutgoingTopicAliasMaximum)
        {
            return packet;
        }
        alias = (ushort)(connection.OutgoingAliases.Count + 1);
        connection.OutgoingAliases.Add(packet.Topic, alias);
        properties.TopicAlias = alias;
        return packet with { Properties = properties };
    }

    private static MqttProperties CloneProperties(MqttProperties? source)
    {
        var copy = new MqttProperties();
        if (source is null)
        {
            return copy;
        }
        copy.PayloadFormatIndicator = source.PayloadFormatIndicator;
        copy.MessageExpiryInterval = source.MessageExpiryInterval;
        copy.ContentType = source.ContentType;
        copy.ResponseTopic = source.ResponseTopic;
        copy.CorrelationData = source.CorrelationData;
        foreach (var user in source.UserProperties)
        {
            copy.UserProperties.Add(user);
        }
        return copy;
    }

    private async Task KeepAliveLoopAsync(MqttConnection connection)
    {
        if (connection.KeepAlive <= TimeSpan.Zero)
        {
            return;
        }
        var keepAliveMs = (long)connection.KeepAlive.TotalMilliseconds;
        var tick = TimeSpan.FromMilliseconds(Math.Max(100, keepAliveMs / 4));
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(connection.Closing).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                var pingSent = Volatile.Read(ref connection.PingSentTicks);
                if (pingSent != 0 && now - pingSent > keepAliveMs)
                {
                    ScheduleEnd(connection, new MqttDisconnectInfo(MqttReasonCode.KeepAliveTimeout, ByServer: false)
                    {
                        Exception = new MqttConnectionException(MqttConnectionError.ResponseTimeout, "No PINGRESP within the keep-alive period."),
                    });
                    return;
                }
                if (pingSent == 0 && now - Volatile.Read(ref connection.LastWrittenTicks) >= keepAliveMs / 2)
                {
                    Volatile.Write(ref connection.PingSentTicks, now);
                    await connection.Control.Writer.WriteAsync(new ControlItem(MqttPingReqPacket.Instance), connection.Closing).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
        }
    }
}
