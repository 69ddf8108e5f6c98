using System.Threading.Channels;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt;

/// <summary>
/// The MQTT client as the rest of the system sees it (edge agent, device simulator): connect, publish, subscribe,
/// read messages, disconnect. Same API for MQTT 3.1.1 and 5.0.
/// </summary>
public interface IMqttClient : IAsyncDisposable
{
    bool IsConnected { get; }

    /// <summary>Messages from the broker, bounded: not reading them stops reading the socket (backpressure).</summary>
    ChannelReader<MqttReceivedMessage> Messages { get; }

    event EventHandler<MqttConnectedEventArgs>? Connected;

    event EventHandler<MqttDisconnectedEventArgs>? Disconnected;

    /// <summary>Connects; a refusal by the broker is a result, an unreachable broker or failed TLS an <see cref="MqttConnectionException"/>.</summary>
    Task<MqttConnectResult> ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// QoS 0 completes once queued; QoS 1 at PUBACK; QoS 2 at PUBCOMP. Waits (pushes back) while the outgoing queue
    /// or the inflight window is full.
    /// </summary>
    ValueTask<MqttPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken = default);

    Task<MqttSubscribeResult> SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken = default);

    Task<MqttUnsubscribeResult> UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken = default);

    /// <summary>Sends DISCONNECT (with <paramref name="reason"/> under MQTT 5; anything but Success publishes the will) and closes.</summary>
    Task DisconnectAsync(MqttReasonCode reason = MqttReasonCode.Success, CancellationToken cancellationToken = default);
}

/// <summary>Shorthands over <see cref="IMqttClient"/>.</summary>
public static class MqttClientExtensions
{
    public static ValueTask<MqttPublishResult> PublishAsync(this IMqttClient client, string topic, ReadOnlyMemory<byte> payload,
        MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce, bool retain = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.PublishAsync(new MqttApplicationMessage(topic, payload) { QualityOfService = qos, Retain = retain }, cancellationToken);
    }

    public static Task<MqttSubscribeResult> SubscribeAsync(this IMqttClient client, string topicFilter,
        MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.SubscribeAsync([new MqttSubscription(topicFilter, qos)], cancellationToken);
    }
}
