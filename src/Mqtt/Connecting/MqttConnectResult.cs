using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt;

/// <summary>What the broker answered to CONNECT (3.1.1 return codes mapped onto MQTT 5 reason codes).</summary>
public sealed record MqttConnectResult(MqttReasonCode ReasonCode, bool SessionPresent)
{
    public bool IsSuccess => ReasonCode == MqttReasonCode.Success;
    public string? ReasonString { get; init; }
    public string? AssignedClientId { get; init; }

    /// <summary>Keep-alive the broker imposes (MQTT 5), overriding the requested one.</summary>
    public ushort? ServerKeepAlive { get; init; }
    public ushort ReceiveMaximum { get; init; } = ushort.MaxValue;
    public uint? MaximumPacketSize { get; init; }
    public ushort TopicAliasMaximum { get; init; }
    public MqttQualityOfService MaximumQualityOfService { get; init; } = MqttQualityOfService.ExactlyOnce;
    public bool RetainAvailable { get; init; } = true;
    public uint? SessionExpiryInterval { get; init; }
    public string? ServerReference { get; init; }
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];

    internal static MqttConnectResult From(MqttConnAckPacket packet, MqttProtocolVersion version)
    {
        var code = version == MqttProtocolVersion.V500
            ? (MqttReasonCode)packet.ReasonCode
            : MqttReasonCodes.FromV311ConnectReturnCode(packet.ReasonCode);
        var p = packet.Properties;
        return new MqttConnectResult(code, packet.SessionPresent)
        {
            ReasonString = p?.ReasonString,
            AssignedClientId = p?.AssignedClientIdentifier,
            ServerKeepAlive = p?.ServerKeepAlive,
            ReceiveMaximum = p?.ReceiveMaximum ?? ushort.MaxValue,
            MaximumPacketSize = p?.MaximumPacketSize,
            TopicAliasMaximum = p?.TopicAliasMaximum ?? 0,
            MaximumQualityOfService = (MqttQualityOfService)(p?.MaximumQoS ?? 2),
            RetainAvailable = p?.RetainAvailable != 0,
            SessionExpiryInterval = p?.SessionExpiryInterval,
            ServerReference = p?.ServerReference,
            UserProperties = p?.UserProperties.ToArray() ?? [],
        };
    }
}

/// <summary>Why a connection ended: a server DISCONNECT (with its reason), a protocol error, or a transport failure.</summary>
public sealed record MqttDisconnectInfo(MqttReasonCode ReasonCode, bool ByServer)
{
    public string? ReasonString { get; init; }
    public string? ServerReference { get; init; }

    /// <summary>The failure that ended the connection (a <see cref="MqttProtocolException"/>, an IO error), if any.</summary>
    public Exception? Exception { get; init; }

    /// <summary>True when the client will try to reconnect on its own.</summary>
    public bool WillReconnect { get; init; }
}

public sealed class MqttDisconnectedEventArgs(MqttDisconnectInfo info) : EventArgs
{
    public MqttDisconnectInfo Info { get; } = info;
}

public sealed class MqttConnectedEventArgs(MqttConnectResult result, bool isReconnect) : EventArgs
{
    public MqttConnectResult Result { get; } = result;
    public bool IsReconnect { get; } = isReconnect;
}
