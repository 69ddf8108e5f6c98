namespace PatientStream.Mqtt.Packets;

/// <summary>MQTT control packet types (the high nibble of the fixed header).</summary>
public enum MqttPacketType
{
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
    Auth = 15,
}

/// <summary>One MQTT control packet. Properties are only carried by MQTT 5.</summary>
public abstract record MqttPacket
{
    public abstract MqttPacketType Type { get; }

    public MqttProperties? Properties { get; init; }
}

/// <summary>The will message inside CONNECT.</summary>
public sealed record MqttWillPacket(string Topic, ReadOnlyMemory<byte> Payload, MqttQualityOfService QualityOfService, bool Retain)
{
    public MqttProperties? Properties { get; init; }
}

public sealed record MqttConnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Connect;
    public MqttProtocolVersion ProtocolVersion { get; init; } = MqttProtocolVersion.V311;
    public string ClientId { get; init; } = "";
    public bool CleanSession { get; init; } = true;
    public ushort KeepAliveSeconds { get; init; }
    public string? UserName { get; init; }
    public ReadOnlyMemory<byte>? Password { get; init; }
    public MqttWillPacket? Will { get; init; }
}

public sealed record MqttConnAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.ConnAck;
    public bool SessionPresent { get; init; }

    /// <summary>The byte on the wire: a 3.1.1 return code or an MQTT 5 reason code.</summary>
    public byte ReasonCode { get; init; }
}

public sealed record MqttPublishPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Publish;
    public string Topic { get; init; } = "";
    public ReadOnlyMemory<byte> Payload { get; init; }
    public MqttQualityOfService QualityOfService { get; init; }
    public bool Retain { get; init; }
    public bool Dup { get; init; }
    public ushort PacketId { get; init; }
}

/// <summary>PUBACK, PUBREC, PUBREL or PUBCOMP: a packet identifier and (MQTT 5) a reason code.</summary>
public sealed record MqttAckPacket : MqttPacket
{
    public MqttAckPacket(MqttPacketType type, ushort packetId, MqttReasonCode reasonCode = MqttReasonCode.Success)
    {
        if (type is not (MqttPacketType.PubAck or MqttPacketType.PubRec or MqttPacketType.PubRel or MqttPacketType.PubComp))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Not an acknowledgement packet type.");
        }
        AckType = type;
        PacketId = packetId;
        ReasonCode = reasonCode;
    }

    public MqttPacketType AckType { get; }
    public override MqttPacketType Type => AckType;
    public ushort PacketId { get; init; }
    public MqttReasonCode ReasonCode { get; init; }
}

/// <summary>One topic filter in SUBSCRIBE with its options.</summary>
public sealed record MqttSubscription(string TopicFilter, MqttQualityOfService QualityOfService = MqttQualityOfService.AtLeastOnce)
{
    /// <summary>MQTT 5: do not receive own publications.</summary>
    public bool NoLocal { get; init; }

    /// <summary>MQTT 5: keep the RETAIN flag as published rather than clearing it on live delivery.</summary>
    public bool RetainAsPublished { get; init; }

    /// <summary>MQTT 5: 0 send retained on subscribe, 1 only if the subscription is new, 2 never.</summary>
    public byte RetainHandling { get; init; }
}

public sealed record MqttSubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Subscribe;
    public ushort PacketId { get; init; }
    public IReadOnlyList<MqttSubscription> Subscriptions { get; init; } = [];
}

public sealed record MqttSubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.SubAck;
    public ushort PacketId { get; init; }

    /// <summary>One per requested filter: granted QoS (0..2) or a failure code (0x80 and above).</summary>
    public IReadOnlyList<MqttReasonCode> ReasonCodes { get; init; } = [];
}

public sealed record MqttUnsubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Unsubscribe;
    public ushort PacketId { get; init; }
    public IReadOnlyList<string> TopicFilters { get; init; } = [];
}

public sealed record MqttUnsubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.UnsubAck;
    public ushort PacketId { get; init; }

    /// <summary>MQTT 5 only; empty under 3.1.1, where UNSUBACK carries no reason codes.</summary>
    public IReadOnlyList<MqttReasonCode> ReasonCodes { get; init; } = [];
}

public sealed record MqttPingReqPacket : MqttPacket
{
    public static readonly MqttPingReqPacket Instance = new();
    public override MqttPacketType Type => MqttPacketType.PingReq;
}

public sealed record MqttPingRespPacket : MqttPacket
{
    public static readonly MqttPingRespPacket Instance = new();
    public override MqttPacketType Type => MqttPacketType.PingResp;
}

public sealed record MqttDisconnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Disconnect;
    public MqttReasonCode ReasonCode { get; init; }
}

public sealed record MqttAuthPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Auth;
    public MqttReasonCode ReasonCode { get; init; }
}
