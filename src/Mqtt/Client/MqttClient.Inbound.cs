using Microsoft.Extensions.Logging;
using PatientStream.Mqtt.Client;
using PatientStream.Mqtt.Formatter;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt;

public sealed partial class MqttClient
{
    private async Task ReadLoopAsync(MqttConnection connection)
    {
        var ct = connection.Closing;
        MqttDisconnectInfo? info = null;
        try
        {
            while (info is null)
            {
                var read = await connection.Reader.ReadAsync(ct).ConfigureAwait(false);
                var buffer = read.Buffer;
                try
                {
                    while (info is null && MqttFrameReader.TryReadFrame(ref buffer, _options.MaximumPacketSize, out var header, out var body))
                    {
                        var packet = Decode(header, body);
                        info = await HandleAsync(connection, packet, ct).ConfigureAwait(false);
                    }
                }
                finally
                {
                    connection.Reader.AdvanceTo(buffer.Start, buffer.End);
                }
                if (read.IsCompleted && info is null)
                {
                    info = new MqttDisconnectInfo(MqttReasonCode.UnspecifiedError, ByServer: false)
                    {
                        Exception = new MqttConnectionException(MqttConnectionError.ConnectionLost, "The broker closed the connection."),
                    };
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (MqttProtocolException ex)
        {
            _logger.LogWarning("MQTT protocol violation from the broker: {Code}", ex.Code);
            await TrySendDisconnectAsync(connection, ex.DisconnectReason).ConfigureAwait(false);
            info = new MqttDisconnectInfo(ex.DisconnectReason, ByServer: false) { Exception = ex };
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            info = new MqttDisconnectInfo(MqttReasonCode.UnspecifiedError, ByServer: false) { Exception = ex };
        }
        ScheduleEnd(connection, info);
    }

    private async Task TrySendDisconnectAsync(MqttConnection connection, MqttReasonCode reason)
    {
        if (connection.Version != MqttProtocolVersion.V500)
        {
            return;
        }
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!connection.Control.Writer.TryWrite(new ControlItem(new MqttDisconnectPacket { ReasonCode = reason }, written)))
        {
            return;
        }
        try
        {
            // Best effort: the connection is being dropped either way.
            await written.Task.WaitAsync(TimeSpan.FromSeconds(2), connection.Closing).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or MqttConnectionException or MqttProtocolException)
        {
            _logger.LogDebug(ex, "DISCONNECT after a protocol violation was not written");
        }
    }

    /// <summary>Handles one inbound packet; returns a disconnect description when the connection must end.</summary>
    private async ValueTask<MqttDisconnectInfo?> HandleAsync(MqttConnection connection, MqttPacket packet, CancellationToken ct)
    {
        switch (packet)
        {
            case MqttPublishPacket publish:
                await ReceivePublishAsync(connection, publish, ct).ConfigureAwait(false);
                return null;
            case MqttAckPacket { Type: MqttPacketType.PubAck } ack:
                Complete(ack, MqttQualityOfService.AtLeastOnce);
                return null;
            case MqttAckPacket { Type: MqttPacketType.PubRec } rec:
                await ReceivePubRecAsync(connection, rec, ct).ConfigureAwait(false);
                return null;
            case MqttAckPacket { Type: MqttPacketType.PubComp } comp:
                Complete(comp, MqttQualityOfService.ExactlyOnce);
                return null;
            case MqttAckPacket { Type: MqttPacketType.PubRel } rel:
                _session.ReleaseInboundQoS2(rel.PacketId);
                await connection.Control.Writer.WriteAsync(new ControlItem(new MqttAckPacket(MqttPacketType.PubComp, rel.PacketId)), ct).ConfigureAwait(false);
                return null;
            case MqttSubAckPacket or MqttUnsubAckPacket:
                var id = packet is MqttSubAckPacket s ? s.PacketId : ((MqttUnsubAckPacket)packet).PacketId;
                if (!_session.CompleteRequest(id, packet))
                {
                    _logger.LogDebug("MQTT {Type} for unknown packet identifier {Id} ignored", packet.Type, id);
                }
                return null;
            case MqttPingRespPacket:
                Volatile.Write(ref connection.PingSentTicks, 0);
                _pingResponses.Release();
                return null;
            case MqttDisconnectPacket disconnect when connection.Version == MqttProtocolVersion.V500:
                return new MqttDisconnectInfo(disconnect.ReasonCode, ByServer: true)
                {
                    ReasonString = disconnect.Properties?.ReasonString,
                    ServerReference = disconnect.Properties?.ServerReference,
                };
            default:
                throw new MqttProtocolException(MqttProtocolError.UnexpectedPacket, $"A broker does not send {packet.Type} to a connected client.");
        }
    }

    private async ValueTask ReceivePublishAsync(MqttConnection connection, MqttPublishPacket publish, CancellationToken ct)
    {
        var topic = ResolveTopicAlias(connection, publish);
        if (publish.QualityOfService == MqttQualityOfService.ExactlyOnce && _session.IsInboundQoS2(publish.PacketId))
        {
            // Already delivered once and acknowledged with PUBREC: acknowledge again, never deliver twice.
            await connection.Control.Writer.WriteAsync(new ControlItem(new MqttAckPacket(MqttPacketType.PubRec, publish.PacketId)), ct).ConfigureAwait(false);
            return;
        }
        var manual = !_options.AutoAcknowledge && publish.QualityOfService != MqttQualityOfService.AtMostOnce;
        var message = new MqttReceivedMessage(publish, topic, manual ? this : null, connection.Id);
        await _messages.Writer.WriteAsync(message, ct).ConfigureAwait(false);
        if (!manual && publish.QualityOfService != MqttQualityOfService.AtMostOnce)
        {
            await SendInboundAckAsync(connection, publish.QualityOfService, publish.PacketId, ct).ConfigureAwait(false);
        }
    }

    private ValueTask SendInboundAckAsync(MqttConnection connection, MqttQualityOfService qos, ushort packetId, CancellationToken ct)
    {
        if (qos == MqttQualityOfService.ExactlyOnce)
        {
            _session.TryAddInboundQoS2(packetId);
            return connection.Control.Writer.WriteAsync(new ControlItem(new MqttAckPacket(MqttPacketType.PubRec, packetId)), ct);
        }
        return connection.Control.Writer.WriteAsync(new ControlItem(new MqttAckPacket(MqttPacketType.PubAck, packetId)), ct);
    }

    internal async ValueTask AcknowledgeAsync(MqttReceivedMessage message, CancellationToken cancellationToken)
    {
        var connection = _connection;
        if (connection is null || connection.Id != message.ConnectionId || connection.HasEnded)
        {
            // The delivering connection is gone; the broker redelivers on the persistent session.
            return;
        }
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Closing);
            await SendInboundAckAsync(connection, message.QualityOfService, message.PacketId, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
        }
    }

    private static string ResolveTopicAlias(MqttConnection connection, MqttPublishPacket publish)
    {
        if (publish.Properties?.TopicAlias is not { } alias)
        {
            return publish.Topic;
        }
        if (alias > connection.IncomingTopicAliasMaximum)
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidTopicAlias, $"Topic alias {alias} above the maximum of {connection.IncomingTopicAliasMaximum}.");
        }
        if (publish.Topic.Length > 0)
        {
            connection.IncomingAliases[alias] = publish.Topic;
            return publish.Topic;
        }
        return connection.IncomingAliases.TryGetValue(alias, out var topic)
            ? topic
            : throw new MqttProtocolException(MqttProtocolError.InvalidTopicAlias, $"Topic alias {alias} was never defined.");
    }

    private async ValueTask ReceivePubRecAsync(MqttConnection connection, MqttAckPacket rec, CancellationToken ct)
    {
        if (!rec.ReasonCode.IsSuccess())
        {
            Complete(rec, MqttQualityOfService.ExactlyOnce);
            return;
        }
        if (_session.MarkReleased(rec.PacketId) is null)
        {
            _logger.LogDebug("PUBREC for unknown packet identifier {Id}", rec.PacketId);
        }
        // PUBREL is answered even for an unknown identifier, so the broker can finish its side of the exchange.
        await connection.Control.Writer.WriteAsync(new ControlItem(new MqttAckPacket(MqttPacketType.PubRel, rec.PacketId)), ct).ConfigureAwait(false);
    }

    private void Complete(MqttAckPacket ack, MqttQualityOfService expected)
    {
        var pending = _session.RemovePublish(ack.PacketId, expected);
        if (pending is null)
        {
            _logger.LogDebug("MQTT {Type} for unknown packet identifier {Id} ignored", ack.Type, ack.PacketId);
            return;
        }
        // A PUBCOMP for a PUBREL the broker no longer knows (new session after PUBREC) still means delivered.
        var code = ack.Type == MqttPacketType.PubComp && ack.ReasonCode == MqttReasonCode.PacketIdentifierNotFound && pending.Released
            ? MqttReasonCode.Success
            : ack.ReasonCode;
        var result = code == MqttReasonCode.Success && ack.Properties is null
            ? new MqttPublishResult(MqttReasonCode.Success) { PacketId = ack.PacketId }
            : new MqttPublishResult(code)
            {
                PacketId = ack.PacketId,
                ReasonString = ack.Properties?.ReasonString,
                UserProperties = ack.Properties?.UserProperties.ToArray() ?? [],
            };
        if (pending.Completion.TrySetResult(result) && pending.HoldsSlot)
        {
            _window.Release();
        }
    }
}
