using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ModelRegistry.Common;

namespace ModelRegistry.Downloads.Sources;

/// <summary>A download the registry refuses to make, or a response it refuses to keep; another attempt would not change it.</summary>
internal sealed class DownloadRefusedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Where downloads may connect (SPEC §6: no SSRF). A URL's host and port must be listed in <c>Registry:Downloads:AllowedHosts</c>,
/// the host written the way it is listed (no <c>0x7f000001</c> for <c>127.0.0.1</c>), and every address it resolves to at
/// connect time must be a public one — loopback, link-local (cloud metadata), private, multicast and reserved addresses are
/// refused unless that very address is listed, or the host is a listed <c>localhost</c> resolving to loopback. An entry
/// names its port (<c>host:port</c>, <c>[::1]:port</c>) or allows 80 and 443 only, and the hub's port on the hub's host:
/// listing a host must not open its database or admin ports. Checking at connect time, on the addresses and port actually
/// dialled, is what defeats DNS rebinding and redirects.
/// </summary>
internal sealed class EgressPolicy
{
    private readonly List<Entry> _entries = [];
    private readonly (string Host, int Port)? _hub;

    public EgressPolicy(IEnumerable<string> allowedHosts, Uri? hub = null)
    {
        foreach (var entry in allowedHosts.Select(h => h.Trim()).Where(h => h.Length > 0))
        {
            _entries.Add(Entry.Parse(entry));
        }

        _hub = hub is null ? null : (Canonical(hub.IdnHost), hub.Port);
    }

    /// <summary>DNS; replaceable so tests can make a listed name resolve to a forbidden address.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolver { get; init; } = Dns.GetHostAddressesAsync;

    public static EgressPolicy From(DownloadsOptions downloads, HuggingFaceOptions hub)
    {
        var endpoint = hub.EndpointUri;
        if (!string.IsNullOrWhiteSpace(downloads.AllowedHosts))
        {
            return new EgressPolicy(downloads.AllowedHosts.Split(','), endpoint);
        }

        var hubHost = endpoint.Host;
        // The hub answers a resolve with a redirect to its CDN; without these the default could download nothing.
        return string.Equals(hubHost, "huggingface.co", StringComparison.OrdinalIgnoreCase)
            ? new EgressPolicy([hubHost, "*.huggingface.co", "*.hf.co"], endpoint)
            : new EgressPolicy([hubHost], endpoint);
    }

    /// <summary>Refuses a URL that is not http(s), carries credentials, spells its host unusually, or names a host or port not listed.</summary>
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

        CheckHost(url.IdnHost, url.Port);
    }

    /// <summary>The addresses to dial for a listed host and port: all of them allowed, or a refusal.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, int port, CancellationToken ct)
    {
        CheckHost(host, port);
        var addresses = await Egress.AddressesAsync(host, Resolver, ct);
        if (addresses.Length == 0)
        {
            throw new DownloadRefusedException("host-not-allowed", $"'{host}' resolves to no address.");
        }

        foreach (var address in addresses)
        {
            if (!IsAllowedAddress(host, address, port))
            {
                throw new DownloadRefusedException("address-not-allowed",
                    $"'{host}' resolves to {address}, a {Egress.Classify(address)} address downloads may not reach.");
            }
        }

        return addresses;
    }

    /// <summary>The <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves, checks, then dials only checked addresses.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct);
        return await Egress.DialAsync(addresses, context.DnsEndPoint.Port, ct);
    }

    private void CheckHost(string host, int port)
    {
        var canonical = Canonical(host);
        var listed = _entries.Where(e => e.Matches(canonical)).ToList();
        if (listed.Count == 0)
        {
            throw new DownloadRefusedException("host-not-allowed",
                $"Downloads may not reach '{host}'; allowed hosts are set in Registry:Downloads:AllowedHosts.");
        }

        if (!listed.Any(e => AllowsPort(e, canonical, port)))
        {
            throw new DownloadRefusedException("port-not-allowed",
                $"Downloads may not reach port {port} of '{host}'; a host listed without a port is reached on 80 and 443 only "
                + "(list 'host:port' in Registry:Downloads:AllowedHosts).");
        }
    }

    private bool AllowsPort(Entry entry, string host, int port) =>
        entry.Port is { } listed
            ? listed == port
            : port is 80 or 443 || (_hub is { } hub && hub.Port == port && string.Equals(hub.Host, host, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Whether a listed address (or a listed <c>localhost</c>) vouches for a forbidden-kind address; the host was checked
    /// with its port already, so an entry without a port vouches for any, one with a port for that port only.
    /// </summary>
    private bool IsVouchedFor(string host, int port) =>
        _entries.Any(e => !e.IsSuffix && e.Matches(host) && (e.Port is null || e.Port == port));

    private bool IsAllowedAddress(string host, IPAddress address, int port)
    {
        var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        var kind = Egress.Classify(normalized);
        return kind == "public"
            || IsVouchedFor(normalized.ToString(), port)
            || IsVouchedFor(address.ToString(), port)
            || (kind == "loopback" && string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) && IsVouchedFor("localhost", port));
    }

    /// <summary>A host as entries and checks compare it: an IPv6 address in its standard form without brackets, anything else as written.</summary>
    private static string Canonical(string host)
    {
        var bare = host.Trim('[', ']');
        return bare.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(bare, out var v6) ? v6.ToString() : host;
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

    /// <summary>One allow-list entry: a name, an address or a <c>*.</c> suffix, with the one port it allows (or the default ones).</summary>
    private sealed record Entry(string Host, bool IsSuffix, int? Port)
    {
        public bool Matches(string host) =>
            IsSuffix
                ? host.Length > Host.Length && host.EndsWith(Host, StringComparison.OrdinalIgnoreCase)
                : string.Equals(host, Host, StringComparison.OrdinalIgnoreCase);

        public static Entry Parse(string entry)
        {
            var (host, port) = SplitPort(entry);
            var bracketed = host.StartsWith('[') && host.EndsWith(']');
            var bare = bracketed ? host[1..^1] : host;
            if (bracketed || bare.Contains(':', StringComparison.Ordinal))
            {
                return IPAddress.TryParse(bare, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
                    ? new Entry(v6.ToString(), false, port)
                    : throw Invalid(entry);
            }

            if (host.Length == 0 || host.IndexOfAny(['[', ']', '/', '@']) >= 0)
            {
                throw Invalid(entry);
            }

            return host.StartsWith("*.", StringComparison.Ordinal) && host.Length > 2
                ? new Entry(host[1..], true, port)
                : new Entry(host, false, port);
        }

        /// <summary>Splits <c>host:port</c> and <c>[IPv6]:port</c>; a bare IPv6 address (more than one colon) has no port.</summary>
        private static (string Host, int? Port) SplitPort(string entry)
        {
            int colon;
            if (entry.StartsWith('['))
            {
                var close = entry.IndexOf(']', StringComparison.Ordinal);
                colon = close < 0 ? throw Invalid(entry) : close + 1;
            }
            else
            {
                var first = entry.IndexOf(':', StringComparison.Ordinal);
                colon = first == entry.LastIndexOf(':') ? first : -1;
            }

            if (colon < 0 || colon == entry.Length)
            {
                return (entry, null);
            }

            return entry[colon] == ':'
                   && int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                   && port is > 0 and <= 65535
                ? (entry[..colon], port)
                : throw Invalid(entry);
        }

        private static InvalidOperationException Invalid(string entry) =>
            new($"'{entry}' in Registry:Downloads:AllowedHosts is not 'host', '*.domain', an IP address or '[IPv6]', each with an optional ':port'.");
    }
}
