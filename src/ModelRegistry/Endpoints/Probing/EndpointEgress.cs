using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ModelRegistry.Common;

namespace ModelRegistry.Endpoints.Probing;

/// <summary>The connection to an endpoint was refused by <see cref="EndpointEgress"/>; no byte was sent.</summary>
internal sealed class EndpointAddressRefusedException(string message) : Exception(message);

/// <summary>
/// Where serving endpoints may be reached (SPEC §9), from <c>Registry:Endpoints:AllowedHosts</c>: host names,
/// <c>*.suffix</c> wildcards and address ranges (CIDR or single addresses), any port. A host named in the list may be at
/// any address; any other host only at addresses inside a listed range. Unset, the list is loopback and the private
/// ranges, where local runners live. Link-local, metadata, unspecified and multicast addresses are refused whatever is
/// listed, in whatever IPv6 spelling. The check runs when the connection is made, on the addresses actually dialled.
/// </summary>
public sealed class EndpointEgress
{
    public const string DefaultAllowedHosts = "localhost, 127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7";

    /// <summary>Cloud metadata services outside link-local: AWS over IPv6, Azure's wire server, Alibaba, Oracle.</summary>
    private static readonly IPNetwork[] MetadataRanges =
    [
        IPNetwork.Parse("fd00:ec2::/32"),
        IPNetwork.Parse("168.63.129.16/32"),
        IPNetwork.Parse("100.100.100.200/32"),
        IPNetwork.Parse("192.0.0.192/32"),
    ];

    private readonly List<string> _names = [];
    private readonly List<string> _suffixes = [];
    private readonly List<IPNetwork> _ranges = [];

    public EndpointEgress(string? allowedHosts)
    {
        var list = string.IsNullOrWhiteSpace(allowedHosts) ? DefaultAllowedHosts : allowedHosts;
        foreach (var entry in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            Add(entry);
        }
    }

    /// <summary>DNS; replaceable so tests can make a name resolve where they need it to.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolver { get; init; } = Dns.GetHostAddressesAsync;

    /// <summary>Whatever is listed, a connection never goes to a link-local, metadata, unspecified or multicast address.</summary>
    public static bool IsAlwaysRefused(IPAddress address)
    {
        var target = Egress.LeadsTo(address);
        return Egress.Classify(target) is "link-local" or "unspecified" or "multicast"
               || MetadataRanges.Any(r => r.Contains(address) || r.Contains(target));
    }

    public bool IsAllowed(IPAddress address)
    {
        var v4 = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return !IsAlwaysRefused(address) && _ranges.Any(r => r.Contains(address) || r.Contains(v4));
    }

    public bool IsListedName(string host)
    {
        var name = Normalized(host);
        return _names.Contains(name) || _suffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal) && name.Length > s.Length);
    }

    /// <summary>
    /// Why an endpoint's base URL is not acceptable, for a request's field error, or null: an absolute http(s) URL with a host,
    /// no credentials, query or fragment; a host written as an address must be one the list allows. A host name is only
    /// checked when the connection is made, since what it resolves to may change.
    /// </summary>
    public string? CheckUrl(string? baseUrl)
    {
        if (string.IsNullOrWhiteSpace(baseUrl) || baseUrl.Length > 2048
            || !Uri.TryCreate(baseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return "must be an absolute http or https URL";
        }

        if (url.Host.Length == 0)
        {
            return "must name a host";
        }

        if (url.UserInfo.Length > 0)
        {
            return "must not carry credentials; give the API key separately";
        }

        if (url.Query.Length > 0 || url.Fragment.Length > 0 || baseUrl.IndexOfAny(['?', '#']) >= 0)
        {
            return "must not have a query or a fragment";
        }

        if (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(url.Host.Trim('[', ']'), out var address))
        {
            if (IsAlwaysRefused(address))
            {
                return "is a link-local or metadata address, which endpoints may never be at";
            }

            if (!IsAllowed(address))
            {
                return "is an address outside Registry:Endpoints:AllowedHosts";
            }
        }

        return null;
    }

    /// <summary>The addresses a connection to <paramref name="host"/> may dial; refused when there is none.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        var listedName = !IPAddress.TryParse(host.Trim('[', ']'), out _) && IsListedName(host);
        var resolved = await Egress.AddressesAsync(host, Resolver, ct);
        var allowed = resolved.Where(a => listedName ? !IsAlwaysRefused(a) : IsAllowed(a)).ToArray();
        return allowed.Length > 0
            ? allowed
            : throw new EndpointAddressRefusedException($"'{host}' is at no address Registry:Endpoints:AllowedHosts allows.");
    }

    /// <summary>The <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves, keeps the allowed addresses, dials only those.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, ct);
        return await Egress.DialAsync(addresses, context.DnsEndPoint.Port, ct);
    }

    private void Add(string entry)
    {
        if (entry.Split('/') is [var first, _] && Address(first) is not null)
        {
            _ranges.Add(IPNetwork.TryParse(entry, out var range) ? range : throw Invalid(entry));
        }
        else if (Address(entry) is { } address)
        {
            _ranges.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
        }
        else if (entry.StartsWith("*.", StringComparison.Ordinal) && IsHostName(entry[2..]))
        {
            _suffixes.Add(Normalized(entry[1..]));
        }
        else
        {
            _names.Add(IsHostName(entry) ? Normalized(entry) : throw Invalid(entry));
        }
    }

    /// <summary>
    /// An entry written as an address: dotted-quad IPv4 or (bracketed) IPv6. The short forms the parser also takes
    /// (<c>192.168</c> for 192.0.0.168) would make a range other than the one meant.
    /// </summary>
    private static IPAddress? Address(string entry)
    {
        var bare = entry.StartsWith('[') && entry.EndsWith(']') ? entry[1..^1] : entry;
        var looksLikeOne = bare.Contains(':', StringComparison.Ordinal) || (bare.Count(c => c == '.') == 3 && bare.All(c => c == '.' || char.IsAsciiDigit(c)));
        return looksLikeOne && IPAddress.TryParse(bare, out var address) ? address : null;
    }

    private static bool IsHostName(string name) => Uri.CheckHostName(name.TrimEnd('.')) == UriHostNameType.Dns;

    private static string Normalized(string host) => host.TrimEnd('.').ToLower(CultureInfo.InvariantCulture);

    private static InvalidOperationException Invalid(string entry) =>
        new($"'{entry}' in {EndpointsOptions.Section}:AllowedHosts is not a host name, '*.domain', an IP address or a CIDR range.");
}
