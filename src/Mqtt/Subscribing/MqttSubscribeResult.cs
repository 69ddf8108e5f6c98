using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt;

/// <summary>The broker's answer for one topic filter: the granted QoS, or why it refused (0x80 and above).</summary>
public sealed record MqttSubscribeResultItem(string TopicFilter, MqttReasonCode ReasonCode)
{
    public bool IsSuccess => ReasonCode.IsSuccess();
    public MqttQualityOfService? GrantedQualityOfService => IsSuccess ? (MqttQualityOfService)(int)ReasonCode : null;
}

public sealed record MqttSubscribeResult(IReadOnlyList<MqttSubscribeResultItem> Items)
{
    public bool IsSuccess => Items.All(i => i.IsSuccess);
    public string? ReasonString { get; init; }
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];
}

/// <summary>Per-filter outcome of UNSUBSCRIBE; MQTT 3.1.1 brokers report no reason, so every item is Success there.</summary>
public sealed record MqttUnsubscribeResult(IReadOnlyList<MqttSubscribeResultItem> Items)
{
    public bool IsSuccess => Items.All(i => i.IsSuccess);
    public string? ReasonString { get; init; }
}
