namespace PatientStream.Mqtt;

/// <summary>Stable codes for protocol violations found in bytes received from a peer (or about to be sent).</summary>
public enum MqttProtocolError
{
    MalformedRemainingLength = 1,
    ReservedFlags = 2,
    PacketTooLarge = 3,
    Truncated = 4,
    InvalidUtf8 = 5,
    InvalidPacketType = 6,
    InvalidQualityOfService = 7,
    InvalidTopicName = 8,
    InvalidProperty = 9,
    DuplicateProperty = 10,
    UnexpectedPacket = 11,
    InvalidPacketIdentifier = 12,
    TrailingBytes = 13,
    InvalidProtocolName = 14,
    InvalidReasonCode = 15,
    InvalidTopicFilter = 16,
    InvalidTopicAlias = 17,
    ReceiveMaximumExceeded = 18,
}

/// <summary>
/// A peer broke the MQTT protocol (or a caller asked for something the protocol cannot carry). The client answers
/// it with a DISCONNECT carrying <see cref="DisconnectReason"/> (MQTT 5) and closes the connection.
/// </summary>
public sealed class MqttProtocolException : Exception
{
    public MqttProtocolException()
        : this(MqttProtocolError.UnexpectedPacket, "MQTT protocol violation.")
    {
    }

    public MqttProtocolException(string message)
        : this(MqttProtocolError.UnexpectedPacket, message)
    {
    }

    public MqttProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = MqttProtocolError.UnexpectedPacket;
    }

    public MqttProtocolException(MqttProtocolError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    public MqttProtocolError Error { get; }

    /// <summary>Stable text code, e.g. <c>mqtt.malformed-remaining-length</c>.</summary>
    public string Code => "mqtt." + Kebab(Error.ToString());

    /// <summary>The MQTT 5 reason code a DISCONNECT for this violation carries.</summary>
    public MqttReasonCode DisconnectReason => Error switch
    {
        MqttProtocolError.PacketTooLarge => MqttReasonCode.PacketTooLarge,
        MqttProtocolError.InvalidTopicAlias => MqttReasonCode.TopicAliasInvalid,
        MqttProtocolError.ReceiveMaximumExceeded => MqttReasonCode.ReceiveMaximumExceeded,
        MqttProtocolError.UnexpectedPacket or MqttProtocolError.DuplicateProperty or MqttProtocolError.InvalidPacketIdentifier
            => MqttReasonCode.ProtocolError,
        _ => MqttReasonCode.MalformedPacket,
    };

    private static string Kebab(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('-');
            }
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }
}

/// <summary>Stable codes for why the client could not talk to the broker.</summary>
public enum MqttConnectionError
{
    NotConnected = 1,
    ConnectionLost = 2,
    ConnectTimeout = 3,
    TransportFailed = 4,
    TlsFailed = 5,
    Disposed = 6,
    ResponseTimeout = 7,
}

/// <summary>The connection to the broker failed or is not there; what was in flight may be retried by reconnecting.</summary>
public sealed class MqttConnectionException : Exception
{
    public MqttConnectionException()
        : this(MqttConnectionError.NotConnected, "Not connected to the MQTT broker.")
    {
    }

    public MqttConnectionException(string message)
        : this(MqttConnectionError.NotConnected, message)
    {
    }

    public MqttConnectionException(string message, Exception innerException)
        : this(MqttConnectionError.TransportFailed, message, innerException)
    {
    }

    public MqttConnectionException(MqttConnectionError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    public MqttConnectionError Error { get; }
}
