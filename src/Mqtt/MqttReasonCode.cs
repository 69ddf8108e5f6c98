namespace PatientStream.Mqtt;

/// <summary>
/// MQTT 5 reason codes (the byte on the wire). MQTT 3.1.1 return codes are mapped onto these so callers see one
/// vocabulary whatever the protocol version; values below 0x80 are successes.
/// </summary>
public enum MqttReasonCode
{
    Success = 0x00,
    GrantedQoS1 = 0x01,
    GrantedQoS2 = 0x02,
    DisconnectWithWillMessage = 0x04,
    NoMatchingSubscribers = 0x10,
    NoSubscriptionExisted = 0x11,
    ContinueAuthentication = 0x18,
    ReAuthenticate = 0x19,
    UnspecifiedError = 0x80,
    MalformedPacket = 0x81,
    ProtocolError = 0x82,
    ImplementationSpecificError = 0x83,
    UnsupportedProtocolVersion = 0x84,
    ClientIdentifierNotValid = 0x85,
    BadUserNameOrPassword = 0x86,
    NotAuthorized = 0x87,
    ServerUnavailable = 0x88,
    ServerBusy = 0x89,
    Banned = 0x8A,
    ServerShuttingDown = 0x8B,
    BadAuthenticationMethod = 0x8C,
    KeepAliveTimeout = 0x8D,
    SessionTakenOver = 0x8E,
    TopicFilterInvalid = 0x8F,
    TopicNameInvalid = 0x90,
    PacketIdentifierInUse = 0x91,
    PacketIdentifierNotFound = 0x92,
    ReceiveMaximumExceeded = 0x93,
    TopicAliasInvalid = 0x94,
    PacketTooLarge = 0x95,
    MessageRateTooHigh = 0x96,
    QuotaExceeded = 0x97,
    AdministrativeAction = 0x98,
    PayloadFormatInvalid = 0x99,
    RetainNotSupported = 0x9A,
    QoSNotSupported = 0x9B,
    UseAnotherServer = 0x9C,
    ServerMoved = 0x9D,
    SharedSubscriptionsNotSupported = 0x9E,
    ConnectionRateExceeded = 0x9F,
    MaximumConnectTime = 0xA0,
    SubscriptionIdentifiersNotSupported = 0xA1,
    WildcardSubscriptionsNotSupported = 0xA2,
}

/// <summary>Helpers over <see cref="MqttReasonCode"/>.</summary>
public static class MqttReasonCodes
{
    public static bool IsSuccess(this MqttReasonCode code) => (int)code < 0x80;

    /// <summary>Maps an MQTT 3.1.1 CONNACK return code (0..5) onto the MQTT 5 vocabulary.</summary>
    public static MqttReasonCode FromV311ConnectReturnCode(byte code) => code switch
    {
        0 => MqttReasonCode.Success,
        1 => MqttReasonCode.UnsupportedProtocolVersion,
        2 => MqttReasonCode.ClientIdentifierNotValid,
        3 => MqttReasonCode.ServerUnavailable,
        4 => MqttReasonCode.BadUserNameOrPassword,
        5 => MqttReasonCode.NotAuthorized,
        _ => MqttReasonCode.UnspecifiedError,
    };

    /// <summary>Maps a reason code onto the MQTT 3.1.1 CONNACK return code a 3.1.1 broker would send.</summary>
    public static byte ToV311ConnectReturnCode(MqttReasonCode code) => code switch
    {
        MqttReasonCode.Success => 0,
        MqttReasonCode.UnsupportedProtocolVersion => 1,
        MqttReasonCode.ClientIdentifierNotValid => 2,
        MqttReasonCode.ServerUnavailable => 3,
        MqttReasonCode.BadUserNameOrPassword => 4,
        _ => 5,
    };
}
