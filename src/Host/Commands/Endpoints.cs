using System.Globalization;

namespace PatientStream.Host.Commands;

/// <summary>Parses the HOST:PORT and URL arguments the pipeline commands take.</summary>
internal static class Endpoints
{
    /// <summary>Reads "host:port" (IPv6 as "[::1]:port"); false when either part is missing or the port is out of range.</summary>
    public static bool TryParseHostPort(string? text, out string host, out int port)
    {
        host = "";
        port = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }
        host = text[..colon].Trim('[', ']');
        return host.Length > 0 && !host.Contains(' ', StringComparison.Ordinal);
    }

    /// <summary>Host and port of a value <see cref="TryParseHostPort"/> accepted at validation.</summary>
    public static (string Host, int Port) HostPort(string text) =>
        TryParseHostPort(text, out var host, out var port) ? (host, port) : throw new ArgumentException($"'{text}' is not HOST:PORT.", nameof(text));

    /// <summary>A comma-separated list of HOST:PORT (Kafka bootstrap servers).</summary>
    public static bool IsHostPortList(string? text) =>
        !string.IsNullOrWhiteSpace(text) && text.Split(',', StringSplitOptions.TrimEntries).All(e => TryParseHostPort(e, out _, out _));

    /// <summary>An absolute http(s) URL, with a trailing slash so relative API paths resolve under it.</summary>
    public static Uri? HttpBase(string? text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return null;
        }
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }
}
