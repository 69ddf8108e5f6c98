using PatientStream.Mqtt.Client;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt;

public sealed partial class MqttClient
{
    public ValueTask<MqttPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!MqttTopic.IsValidName(message.Topic))
        {
            throw new ArgumentException("Topic name must be non-empty and contain no wildcards.", nameof(message));
        }
        if (!Enum.IsDefined(message.QualityOfService))
        {
            throw new ArgumentOutOfRangeException(nameof(message), message.QualityOfService, "QoS must be 0, 1 or 2.");
        }
        EnsureUsable();
        var packet = new MqttPublishPacket
        {
            Topic = message.Topic,
            Payload = message.Payload,
            QualityOfService = message.QualityOfService,
            Retain = message.Retain,
            Properties = message.ToProperties(_options.ProtocolVersion),
        };
        if (packet.QualityOfService == MqttQualityOfService.AtMostOnce)
        {
            var item = new OutgoingPublish(packet, Pending: null);
            return _publishQueue.TryWrite(item)
                ? ValueTask.FromResult(MqttPublishResult.Accepted)
                : EnqueueQoS0Async(item, cancellationToken);
        }
        return PublishTrackedAsync(packet, cancellationToken);
    }

    private async ValueTask<MqttPublishResult> EnqueueQoS0Async(OutgoingPublish item, CancellationToken cancellationToken)
    {
        await _publishQueue.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        return MqttPublishResult.Accepted;
    }

    private async ValueTask<MqttPublishResult> PublishTrackedAsync(MqttPublishPacket packet, CancellationToken cancellationToken)
    {
        // The queue keeps call order; the writer loop takes an inflight slot and a packet identifier per message as
        // it sends, so a full window holds the queue back and a full queue holds the caller back.
        var pending = new PendingPublish(packet);
        await _publishQueue.WriteAsync(new OutgoingPublish(packet, pending), cancellationToken).ConfigureAwait(false);
        // Cancelling the wait does not recall a message already queued: the session still delivers it.
        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<MqttSubscribeResult> SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        if (subscriptions.Count == 0 || subscriptions.Any(s => !MqttTopic.IsValidFilter(s.TopicFilter) || !Enum.IsDefined(s.QualityOfService)))
        {
            throw new ArgumentException("Subscribe needs at least one valid topic filter with QoS 0..2.", nameof(subscriptions));
        }
        var response = await RequestAsync(id => new MqttSubscribePacket { PacketId = id, Subscriptions = subscriptions }, cancellationToken)
            .ConfigureAwait(false);
        var ack = response as MqttSubAckPacket
            ?? throw new MqttProtocolException(MqttProtocolError.UnexpectedPacket, "SUBSCRIBE answered by " + response.Type);
        if (ack.ReasonCodes.Count != subscriptions.Count)
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidReasonCode, "SUBACK has a different number of reason codes than filters.");
        }
        var items = subscriptions.Select((s, i) => new MqttSubscribeResultItem(s.TopicFilter, ack.ReasonCodes[i])).ToArray();
        _session.RecordSubscriptions(subscriptions.Where((_, i) => items[i].IsSuccess));
        return new MqttSubscribeResult(items)
        {
            ReasonString = ack.Properties?.ReasonString,
            UserProperties = ack.Properties?.UserProperties.ToArray() ?? [],
        };
    }

    public async Task<MqttUnsubscribeResult> UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topicFilters);
        if (topicFilters.Count == 0 || topicFilters.Any(f => !MqttTopic.IsValidFilter(f)))
        {
            throw new ArgumentException("Unsubscribe needs at least one valid topic filter.", nameof(topicFilters));
        }
        var response = await RequestAsync(id => new MqttUnsubscribePacket { PacketId = id, TopicFilters = topicFilters }, cancellationToken)
            .ConfigureAwait(false);
        var ack = response as MqttUnsubAckPacket
            ?? throw new MqttProtocolException(MqttProtocolError.UnexpectedPacket, "UNSUBSCRIBE answered by " + response.Type);
        _session.ForgetSubscriptions(topicFilters);
        var items = topicFilters.Select((f, i) => new MqttSubscribeResultItem(f,
            i < ack.ReasonCodes.Count ? ack.ReasonCodes[i] : MqttReasonCode.Success)).ToArray();
        return new MqttUnsubscribeResult(items) { ReasonString = ack.Properties?.ReasonString };
    }

    private async Task<MqttPacket> RequestAsync(Func<ushort, MqttPacket> create, CancellationToken cancellationToken)
    {
        var connection = _connection;
        if (connection is null || connection.HasEnded)
        {
            throw new MqttConnectionException(MqttConnectionError.NotConnected, "Not connected to the MQTT broker.");
        }
        var (id, response) = _session.AddRequest();
        try
        {
            await connection.Control.Writer.WriteAsync(new ControlItem(create(id)), cancellationToken).ConfigureAwait(false);
            return await response.WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new MqttConnectionException(MqttConnectionError.ResponseTimeout, "The broker did not acknowledge the request in time.", ex);
        }
        catch (System.Threading.Channels.ChannelClosedException ex)
        {
            throw new MqttConnectionException(MqttConnectionError.ConnectionLost, "The connection closed before the request was sent.", ex);
        }
        finally
        {
            _session.ForgetRequest(id);
        }
    }

    private void EnsureUsable()
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        // While an automatic reconnect is under way, publications queue up (bounded) and go out on the new connection.
        if (!IsConnected && (_stopped || !_options.AutoReconnect || !_everConnected))
        {
            throw new MqttConnectionException(MqttConnectionError.NotConnected, "Not connected to the MQTT broker.");
        }
    }
}
