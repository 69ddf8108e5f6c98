using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt;

/// <summary>
/// A message delivered by the broker. With <see cref="MqttClientOptions.AutoAcknowledge"/> off, the broker keeps a
/// QoS 1/2 message until <see cref="AcknowledgeAsync"/> is called: acknowledge only once it is stored durably.
/// </summary>
public sealed class MqttReceivedMessage
{
    private readonly MqttClient? _client;
    private readonly MqttPublishPacket _packet;
    private int _acknowledged;

    internal MqttReceivedMessage(MqttPublishPacket packet, string topic, MqttClient? client, long connectionId)
    {
        _packet = packet;
        _client = client;
        Topic = topic;
        ConnectionId = connectionId;
        _acknowledged = client is null ? 1 : 0;
    }

    public string Topic { get; }
    public ReadOnlyMemory<byte> Payload => _packet.Payload;
    public MqttQualityOfService QualityOfService => _packet.QualityOfService;
    public bool Retain => _packet.Retain;

    /// <summary>Set when the broker may have delivered this message before (a redelivery after a reconnect).</summary>
    public bool Dup => _packet.Dup;
    public ushort PacketId => _packet.PacketId;
    public string? ContentType => _packet.Properties?.ContentType;
    public string? ResponseTopic => _packet.Properties?.ResponseTopic;
    public ReadOnlyMemory<byte>? CorrelationData => _packet.Properties?.CorrelationData;
    public uint? MessageExpiryInterval => _packet.Properties?.MessageExpiryInterval;
    public bool PayloadIsUtf8 => _packet.Properties?.PayloadFormatIndicator == 1;
    public IReadOnlyList<MqttUserProperty> UserProperties => (IReadOnlyList<MqttUserProperty>?)_packet.Properties?.UserProperties ?? [];
    public IReadOnlyList<uint> SubscriptionIdentifiers => (IReadOnlyList<uint>?)_packet.Properties?.SubscriptionIdentifiers ?? [];

    internal long ConnectionId { get; }

    internal bool IsAcknowledged => Volatile.Read(ref _acknowledged) == 1;

    /// <summary>
    /// Sends PUBACK (QoS 1) or PUBREC (QoS 2). Idempotent; a no-op for QoS 0 or automatic acknowledgement. When the
    /// connection that delivered the message is gone, nothing is sent: the broker redelivers it (with DUP set) on
    /// the persistent session, which is what at-least-once needs.
    /// </summary>
    public ValueTask AcknowledgeAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _acknowledged, 1) == 1 || _client is null || QualityOfService == MqttQualityOfService.AtMostOnce)
        {
            return ValueTask.CompletedTask;
        }
        return _client.AcknowledgeAsync(this, cancellationToken);
    }

    internal void MarkAcknowledged() => Volatile.Write(ref _acknowledged, 1);
}
