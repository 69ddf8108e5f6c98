using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt;

/// <summary>A message to publish (also the will). MQTT 5 members are ignored under 3.1.1.</summary>
public sealed record MqttApplicationMessage(string Topic, ReadOnlyMemory<byte> Payload)
{
    public MqttQualityOfService QualityOfService { get; init; } = MqttQualityOfService.AtLeastOnce;
    public bool Retain { get; init; }
    public string? ContentType { get; init; }
    public string? ResponseTopic { get; init; }
    public ReadOnlyMemory<byte>? CorrelationData { get; init; }

    /// <summary>MQTT 5 message expiry in seconds.</summary>
    public uint? MessageExpiryInterval { get; init; }

    /// <summary>MQTT 5: true declares the payload UTF-8 text.</summary>
    public bool PayloadIsUtf8 { get; init; }
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];

    internal MqttProperties? ToProperties(MqttProtocolVersion version)
    {
        if (version != MqttProtocolVersion.V500 || (ContentType is null && ResponseTopic is null && CorrelationData is null
            && MessageExpiryInterval is null && !PayloadIsUtf8 && UserProperties.Count == 0))
        {
            return null;
        }
        var properties = new MqttProperties
        {
            ContentType = ContentType,
            ResponseTopic = ResponseTopic,
            CorrelationData = CorrelationData,
            MessageExpiryInterval = MessageExpiryInterval,
            PayloadFormatIndicator = PayloadIsUtf8 ? (byte)1 : null,
        };
        foreach (var user in UserProperties)
        {
            properties.UserProperties.Add(user);
        }
        return properties;
    }
}

/// <summary>The outcome of a publication: success, or the broker's reason for refusing it (e.g. not authorized).</summary>
public sealed record MqttPublishResult(MqttReasonCode ReasonCode)
{
    public static readonly MqttPublishResult Accepted = new(MqttReasonCode.Success);

    public bool IsSuccess => ReasonCode.IsSuccess();
    public ushort PacketId { get; init; }
    public string? ReasonString { get; init; }
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];
}
