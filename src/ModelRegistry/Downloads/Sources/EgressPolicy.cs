using System.Net;
using System.Net.Sockets;

namespace ModelRegistry.Downloads.Sources;

/// <summary>A download the registry refuses to make, or a response it refuses to keep; another attempt would not change it.</summary>
internal sealed class DownloadRefusedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Where downloads may connect (SPEC §6: no SSRF). A URL's host must be listed in <c>Registry:Downloads:AllowedHosts</c>,
/// written the way it is listed (no <c>0x7f000001</c> for <c>127.0.0.1</c>), and every address it resolves to at connect
/// time must be a public one — loopback, link-local (cloud metadata), private, multicast and reserved addresses are
/// refused unless that very address is listed, or the host is a listed <c>localhost</c> resolving to loopback. Checking at
/// connect time, on the addresses actually dialled, is what defeats DNS rebinding.
/// </summary>
internal sealed class EgressPolicy
{
    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _suffixes = [];
    private readonly HashSet<IPAddress> _addresses = [];

    public EgressPolicy(IEnumerable<string> allowedHosts)
    {
        foreach (var entry in allowedHosts.Select(h => h.Trim()).Where(h => h.Length > 0))
        {
            if (entry.StartsWith("*.", StringComparison.Ordinal))
            {
                _suffixes.Add(entry[1..]);
            }
            else if (IPAddress.TryParse(entry.Trim('[', ']'), out var address))
            {
                _hosts.Add(address.ToString());
                _addresses.Add(address);
            }
            else
            {
                _hosts.Add(entry);
            }
        }
    }

    /// <summary>DNS; replaceable so tests can make a listed name resolve to a forbidden address.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolver { get; init; } = Dns.GetHostAddressesAsync;

    public static EgressPolicy From(DownloadsOptions downloads, HuggingFaceOptions hub)
    {
        if (!string.IsNullOrWhiteSpace(downloads.AllowedHosts))
        {
            return new EgressPolicy(downloads.AllowedHosts.Split(','));
        }

        var hubHost = hub.EndpointUri.Host;
        // The hub answers a resolve with a redirect to its CDN; without these the default could download nothing.
        return string.Equals(hubHost, "huggingface.co", StringComparison.OrdinalIgnoreCase)
            ? new EgressPolicy([hubHost, "*.huggingface.co", "*.hf.co"])
            : new EgressPolicy([hubHost]);
    }

    /// <summary>Refuses a URL that is not http(s), carries credentials, spells its host unusually, or names a host not listed.</summary>
    public void CheckUrl(Uri url)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            throw new DownloadRefusedException("scheme-not-allowed", $"Only http and https downloads are allowed, not '{url.Scheme}'.");
        }

        if (url.UserInfo.Length > 0)
        {
            throw new DownloadRefusedException("credentials-in-url", "A download URL may not carry credentials.");
        }

        var written = WrittenHost(url.OriginalString);
        if (written is null || !string.Equals(written, url.Host, StringComparison.OrdinalIgnoreCase))
        {
            throw new DownloadRefusedException("host-not-allowed", $"The host '{written}' is not written in its canonical form ('{url.Host}').");
        }

        CheckHost(url.IdnHost);
    }

    public void CheckHost(string host)
    {
        if (!IsListed(host))
        {
            throw new DownloadRefusedException("host-not-allowed",
                $"Downloads may not reach '{host}'; allowed hosts are set in Registry:Downloads:AllowedHosts.");
        }
    }

    /// <summary>The addresses to dial for a listed host: all of them allowed, or a refusal.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        CheckHost(host);
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Resolver(host, ct);
        if (addresses.Length == 0)
        {
            throw new DownloadRefusedException("host-not-allowed", $"'{host}' resolves to no address.");
        }

        foreach (var address in addresses)
        {
            if (!IsAllowedAddress(host, address))
            {
                throw new DownloadRefusedException("address-not-allowed",
                    $"'{host}' resolves to {address}, a {Classify(address)} address downloads may not reach.");
            }
        }

        return addresses;
    }

    /// <summary>The <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves, checks, then dials only checked addresses.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, ct);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private bool IsListed(string host) =>
        _hosts.Contains(host) || _suffixes.Any(suffix => host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));

    private bool IsAllowedAddress(string host, IPAddress address)
    {
        var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        var kind = Classify(normalized);
        return kind == "public"
            || _addresses.Contains(normalized)
            || _addresses.Contains(address)
            || (kind == "loopback" && string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) && _hosts.Contains("localhost"));
    }

    internal static string Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return Classify(address.MapToIPv4());
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b switch
            {
                [127, ..] => "loopback",
                [169, 254, ..] => "link-local",
                [0, ..] => "unspecified",
                [10, ..] or [172, >= 16 and <= 31, ..] or [192, 168, ..] or [100, >= 64 and <= 127, ..] => "private",
                [192, 0, 0, _] or [198, 18 or 19, ..] => "reserved",
                [>= 224 and <= 239, ..] => "multicast",
                [>= 240, ..] => "reserved",
                _ => "public",
            };
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "reserved";
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return "loopback";
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return "unspecified";
        }

        var v6 = address.GetAddressBytes();
        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal)
        {
            return "link-local";
        }

        if (address.IsIPv6Multicast)
        {
            return "multicast";
        }

        if ((v6[0] & 0xFE) == 0xFC)
        {
            return "private";
        }

        // Addresses that embed an IPv4 address (IPv4-compatible, NAT64, 6to4) are judged by the address they lead to.
        if (v6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            return "reserved";
        }

        if (v6 is [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0, ..])
        {
            return Classify(new IPAddress(v6.AsSpan(12, 4)));
        }

        if (v6 is [0x20, 0x02, ..])
        {
            return Classify(new IPAddress(v6.AsSpan(2, 4)));
        }

        return "public";
    }

    /// <summary>The host exactly as the URL spells it, brackets included, without user info or port.</summary>
    private static string? WrittenHost(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var authority = url[(start + 3)..];
        var end = authority.IndexOfAny(['/', '?', '#', '\\']);
        authority = end < 0 ? authority : authority[..end];
        authority = authority[(authority.LastIndexOf('@') + 1)..];
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? null : authority[..(close + 1)];
        }

        var colon = authority.LastIndexOf(':');
        return colon < 0 ? authority : authority[..colon];
    }
}
