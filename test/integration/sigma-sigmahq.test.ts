/**
 * Issue 13's acceptance test of "Sigma as a query language": every SigmaHQ rule
 * whose logsource is Zeek (rules/network/zeek/) or generic DNS (rules/network/dns/,
 * category dns: Zeek's dns logs and Suricata's dns events), vendored under test/data/sigma/sigmahq/ (DRL 1.1,
 * see test/data/sigma/SOURCES.md), and our own rules under test/data/sigma/local/ that
 * match real events and exercise the hard parts of the language, run against the real
 * logs of ../shared/datasets (skipped visibly where absent).
 *
 * Every rule either converts (`vast sigma convert FILE` prints an expression) or fails
 * with a non-zero exit and an error naming the construct vast does not support; for
 * every rule that converts, the events `vast export json < RULE` prints are exactly
 * (as a multiset of `ts`+`uid`) those of an independent computation written by hand
 * from the rule's text: an awk predicate over the Zeek TSV logs of the rule's
 * logsource (sigma-oracle.ts), jq over Zeek JSON (rdp), and for category dns also jq over the
 * corpus's Suricata DNS events (EVE v3).
 *
 * A case with `unsupported` only must fail; with `oracle` only must convert and match;
 * with both, the rule names a field that no Zeek schema of its logsource has but that
 * a field mapping could reasonably translate (ECS / Windows names of the DNS taxonomy):
 * the compiler may reject it (naming the field) or convert it and then must match the
 * oracle, written with that mapping.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dataset, describeDatasets, ROOT, TEST_DATA } from '../helpers/datasets.js';
import { type Run, tempDb, vast, vastAsync } from './cli.js';
import { awkOracle, jsonKey } from './sigma-oracle.js';

const SIGMA = join(TEST_DATA, 'sigma');
/** awk source as written (backslashes are awk's). */
const awk = String.raw;

/** The Zeek TSV logs of the shared corpus, by the logsource services they are. */
const ZEEK = (...names: string[]) => names.map((n) => join('zeek', n));
const LOGS = {
  dns: ZEEK('dns.log', 'vast-int_dns.log'),
  http: ZEEK('http.log', 'example-pcap_http.log', 'vast-int_http.log'),
  dce_rpc: ZEEK('wrccdc_dce_rpc.log'),
  kerberos: ZEEK('wrccdc_kerberos.log'),
  smb_mapping: ZEEK('wrccdc_smb_mapping.log'),
  x509: ZEEK('wrccdc_x509.log'),
  conn: ZEEK('conn.log', 'small_conn.log', 'example-pcap_conn.log'),
  /** We have no smb_files log: rules on it convert (the schema exists) and match nothing. */
  smb_files: [] as string[],
};
/** The corpus's Suricata DNS events (EVE DNS version 3: `dns.queries[].rrname`); category dns rules run on them too. */
const EVE_DNS = join('suricata', 'tenzir-library', 'dns.json');
/** Zeek JSON logs imported besides (the one rdp log of the corpus: `zeek-json -t zeek.rdp`). */
const RDP_JSON = join('zeek', 'json', 'vast-int_rdp.log.json');

interface Case {
  /** Path under test/data/sigma. */
  rule: string;
  /** The logs of the corpus (under ../shared/datasets) the rule's logsource applies to. */
  logs?: string[];
  /** awk `function m()` over `logs`, or `{ jq }` over JSON `logs`. */
  oracle?: string | { jq: string };
  /**
   * For category dns: a jq condition on each Suricata dns event of EVE_DNS (`q`: its query names
   * without case, `v2` and `v3` layouts; `rtype`: their record types).
   */
  eve?: string;
  /** The error (stderr) of a rule vast cannot convert must match this. */
  unsupported?: RegExp;
  /** The compiler (branch sigma) disagrees with the oracle: see the final report. */
  fails?: string;
}

/** Sigma 1's aggregations (`| count() by x > n`) were dropped by Sigma 2 (correlation rules replace them). */
const AGGREGATION = /aggregation/;

const CASES: Case[] = [
  // ---- SigmaHQ rules/network/zeek ----
  { rule: 'sigmahq/rules/network/zeek/zeek_bloodhound_rpc_connections.yml', unsupported: AGGREGATION },
  { rule: 'sigmahq/rules/network/zeek/zeek_dce_rpc_domain_user_enumeration.yml', unsupported: AGGREGATION },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_dce_rpc_mitre_bzar_execution.yml',
    logs: LOGS.dce_rpc,
    oracle: awk`function m() {
      return (eq("endpoint", "JobAdd") && eq("operation", "atsvc")) ||
        (eq("endpoint", "ITaskSchedulerService") && (eq("operation", "SchRpcEnableTask") || eq("operation", "SchRpcRegisterTask") || eq("operation", "SchRpcRun"))) ||
        (eq("endpoint", "IWbemServices") && (eq("operation", "ExecMethod") || eq("operation", "ExecMethodAsync"))) ||
        (eq("endpoint", "svcctl") && (eq("operation", "CreateServiceA") || eq("operation", "CreateServiceW") || eq("operation", "StartServiceA") || eq("operation", "StartServiceW")))
    }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_dce_rpc_mitre_bzar_persistence.yml',
    logs: LOGS.dce_rpc,
    oracle: awk`function m() {
      return (eq("endpoint", "spoolss") && (eq("operation", "RpcAddMonitor") || eq("operation", "RpcAddPrintProcessor"))) ||
        (eq("endpoint", "IRemoteWinspool") && (eq("operation", "RpcAsyncAddMonitor") || eq("operation", "RpcAsyncAddPrintProcessor"))) ||
        (eq("endpoint", "ISecLogon") && (eq("operation", "SeclCreateProcessWithLogonW") || eq("operation", "SeclCreateProcessWithLogonExW")))
    }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_dce_rpc_potential_petit_potam_efs_rpc_call.yml',
    logs: LOGS.dce_rpc,
    oracle: awk`function m() { return sw("operation", "efs") }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_dce_rpc_printnightmare_print_driver_install.yml',
    logs: LOGS.dce_rpc,
    oracle: awk`function m() {
      return eq("operation", "RpcAsyncInstallPrinterDriverFromPackage") || eq("operation", "RpcAsyncAddPrintProcessor") ||
        eq("operation", "RpcAddPrintProcessor") || eq("operation", "RpcAddPrinterDriverEx") ||
        eq("operation", "RpcAddPrinterDriver") || eq("operation", "RpcAsyncAddPrinterDriver")
    }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_dce_rpc_smb_spoolss_named_pipe.yml',
    logs: LOGS.smb_files,
    oracle: awk`function m() { return ew("path", "IPC$") && eq("name", "spoolss") }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_default_cobalt_strike_certificate.yml',
    logs: LOGS.x509,
    oracle: awk`function m() { return eq("certificate.serial", "8BB00EE") }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_dns_kerberos_coercion_via_dns_object_spn_spoofing.yml',
    logs: LOGS.dns,
    oracle: awk`function m() { return has("query", "UWhRCA") && has("query", "BAAAA") }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_dns_mining_pools.yml',
    logs: LOGS.dns,
    oracle: awk`function m(   i, k, d) {
      k = split("monerohash.com do-dear.com xmrminerpro.com secumine.net xmrpool.com minexmr.org hashanywhere.com xmrget.com mininglottery.eu minergate.com moriaxmr.com multipooler.com moneropools.com xmrpool.eu coolmining.club supportxmr.com minexmr.com hashvault.pro xmrpool.net crypto-pool.fr xmr.pt miner.rocks walpool.com herominers.com gntl.co.uk semipool.com coinfoundry.org cryptoknight.cc fairhash.org baikalmine.com tubepool.xyz fairpool.xyz asiapool.io coinpoolit.webhop.me nanopool.org moneropool.com miner.center prohash.net poolto.be cryptoescrow.eu monerominers.net cryptonotepool.org extrmepool.org webcoin.me kippo.eu hashinvest.ws monero.farm linux-repository-updates.com 1gh.com dwarfpool.com hash-to-coins.com pool-proxy.com hashfor.cash fairpool.cloud litecoinpool.org mineshaft.ml abcxyz.stream moneropool.ru cryptonotepool.org.uk extremepool.org extremehash.com hashinvest.net unipool.pro crypto-pools.org monero.net backup-pool.com mooo.com freeyy.me cryptonight.net shscrypto.net", d, " ")
      sel = 0; for (i = 1; i <= k; i++) if (ew("query", d[i])) sel = 1
      # rejected is a Zeek bool (T/F); the rule's 'true' is that value
      return sel && !(any_eq("answers", "127.0.0.1") || any_eq("answers", "0.0.0.0")) && !(raw("rejected") == "T")
    }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_dns_nkn.yml',
    logs: LOGS.dns,
    oracle: awk`function m() { return has("query", "seed") && has("query", ".nkn.org") }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_dns_susp_zbit_flag.yml',
    logs: LOGS.dns,
    // Z: 0 is a number (an unset Z is not 0, so "not z_flag_unset" holds for it). '\\x00' in
    // YAML single quotes is the Sigma string \\x00, i.e. the four characters \x00.
    oracle: awk`function m(   i, k, t, excl) {
      k = split(".arpa .local .ultradns.net .twtrdns.net .azuredns-prd.info .azure-dns.com .azuredns-ff.info .azuredns-ff.org .azuregov-dns.org", t, " ")
      excl = 0; for (i = 1; i <= k; i++) if (ew("query", t[i])) excl = 1
      if (eq("qtype_name", "ns") || eq("qtype_name", "mx")) excl = 1
      if (any_ew("answers", "\\x00")) excl = 1
      if (!isnull("id.resp_p") && (n("id.resp_p") == 137 || n("id.resp_p") == 138 || n("id.resp_p") == 139)) excl = 1
      return !(!isnull("Z") && n("Z") == 0) && has("query", ".") && !excl
    }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_dns_torproxy.yml',
    logs: LOGS.dns,
    oracle: awk`function m() { return sw("query", "tor2web.") || sw("query", "onion.") || has("query", "tor-gateways") }`,
  },
  {
    // c-useragent and c-uri are the proxy names of Sigma's taxonomy (W3C's cs(User-Agent) and
    // cs-uri): Zeek's user_agent and uri.
    rule: 'sigmahq/rules/network/zeek/zeek_http_executable_download_from_webdav.yml',
    logs: LOGS.http,
    unsupported: /c-useragent|c-uri/,
    oracle: awk`function m() { return (has("user_agent", "WebDAV") || has("uri", "webdav")) && (any_has("resp_mime_types", "dosexec") || ew("uri", ".exe")) }`,
  },
  {
    // mime_types, filetype, http.bodyMagic, http.method: no Zeek http fields.
    rule: 'sigmahq/rules/network/zeek/zeek_http_exfiltration_compressed_files.yml',
    logs: LOGS.http,
    unsupported: /mime_types|filetype|http\.bodyMagic|http\.method/,
    oracle: awk`function m(   s1) {
      s1 = ew("uri", ".7z") || ew("uri", ".zip") || ew("uri", ".rar")
      return (s1 && ew("mime_types", "compressed") && eq("http.method", "PUT")) || (ew("filetype", "compressed") && eq("http.method", "PUT")) || (ew("http.bodyMagic", "compressed") && eq("http.method", "PUT"))
    }`,
  },
  {
    // and binds tighter than or: (s1 and s2) or s3 or (s4 and not s5); id_resp_h is no Zeek field either.
    rule: 'sigmahq/rules/network/zeek/zeek_http_exfiltration_compressed_files_filtered.yml',
    logs: LOGS.http,
    unsupported: /mime_types|filetype|http\.bodyMagic|id_resp_h/,
    oracle: awk`function m(   s1, s5) {
      s1 = ew("uri", ".7z") || ew("uri", ".zip") || ew("uri", ".rar")
      s5 = eq("id_resp_h", "192.168.0.0/16") || eq("id_resp_h", "172.16.0.0/12") || eq("id_resp_h", "10.0.0.0/8")
      return (s1 && ew("mime_types", "compressed")) || ew("filetype", "compressed") || (ew("http.bodyMagic", "compressed") && !s5)
    }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_http_netsupport_manager_cleartext_c2.yml',
    logs: LOGS.http,
    oracle: awk`function m() { return sw("user_agent", "NetSupport Manager/") && !isnull("id.resp_p") && n("id.resp_p") == 443 }`,
  },
  {
    // client_header_names comes from a policy script our Zeek http schema does not have.
    rule: 'sigmahq/rules/network/zeek/zeek_http_omigod_no_auth_rce.yml',
    logs: LOGS.http,
    unsupported: /client_header_names/,
    oracle: awk`function m() {
      return !isnull("status_code") && n("status_code") == 200 && eq("uri", "/wsman") && eq("method", "POST") &&
        !any_has("client_header_names", "AUTHORIZATION") && !(!isnull("request_body_len") && n("request_body_len") == 0)
    }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_http_sus_file_ext_from_sus_tld.yml',
    logs: LOGS.http,
    oracle: awk`function m(   i, k, t, tld, ext, mime) {
      k = split(".xyz .top .ru .su .pw .ml .ga .cf .tk .gq .bid .work .party .click .loan .kp .by .mm .ir .sy .ve .cm .tv", t, " ")
      for (i = 1; i <= k; i++) if (ew("host", t[i])) tld = 1
      k = split(".exe .dll .hta .bat .cmd .vbs .js .ps1 .jar .scr .pif .iso .reg .cpl .bin .msi .elf .py .sh .so .dylib .lnk .wsf", t, " ")
      for (i = 1; i <= k; i++) if (ew("uri", t[i])) ext = 1
      k = split("application/x-dosexec application/x-msdownload application/x-msdos-program application/vnd.microsoft.portable-executable application/x-sh application/x-python-code application/x-bat application/x-ms-shortcut application/x-iso9660-image application/x-java-archive application/x-elf", t, " ")
      for (i = 1; i <= k; i++) if (any_eq("resp_mime_types", t[i])) mime = 1
      return tld && (ext || mime)
    }`,
  },
  {
    // The same rule (same id) under the name SigmaHQ gave it later: the same lists, "1 of selection_malicious_*".
    rule: 'sigmahq/rules/network/zeek/zeek_http_susp_file_ext_from_susp_tld.yml',
    logs: LOGS.http,
    oracle: awk`function m(   i, k, t, tld, ext, mime) {
      k = split(".bid .by .cf .click .cm .ga .gq .ir .kp .loan .ml .mm .party .pw .ru .su .sy .tk .top .tv .ve .work .xyz", t, " ")
      for (i = 1; i <= k; i++) if (ew("host", t[i])) tld = 1
      k = split(".bat .bin .cmd .cpl .dll .dylib .elf .exe .hta .iso .jar .js .lnk .msi .pif .ps1 .py .reg .scr .sh .so .vbs .wsf", t, " ")
      for (i = 1; i <= k; i++) if (ew("uri", t[i])) ext = 1
      k = split("application/vnd.microsoft.portable-executable application/x-bat application/x-dosexec application/x-elf application/x-iso9660-image application/x-java-archive application/x-ms-shortcut application/x-msdos-program application/x-msdownload application/x-python-code application/x-sh", t, " ")
      for (i = 1; i <= k; i++) if (any_eq("resp_mime_types", t[i])) mime = 1
      return tld && (ext || mime)
    }`,
  },
  {
    // Without |cidr the filter's values are plain strings, which an address never equals; the
    // compiler may instead reject them (a value of the wrong type for the field, naming it).
    rule: 'sigmahq/rules/network/zeek/zeek_http_webdav_put_request.yml',
    logs: LOGS.http,
    unsupported: /id\.resp_h.*cidr|cidr.*id\.resp_h/s,
    oracle: awk`function m() {
      return has("user_agent", "WebDAV") && eq("method", "PUT") && !(eq("id.resp_h", "192.168.0.0/16") || eq("id.resp_h", "172.16.0.0/12") || eq("id.resp_h", "10.0.0.0/8"))
    }`,
  },
  {
    // product zeek alone: every Zeek log; only packet_filter has a field "filter" ('\\*' is a literal *).
    rule: 'sigmahq/rules/network/zeek/zeek_ldap_suspicious_query.yml',
    logs: ['ZEEK_ALL'],
    oracle: awk`function m(   i, k, t) {
      k = split("(groupType:1.2.840.113556.1.4.803:=2147483648)|(groupType:1.2.840.113556.1.4.803:=2147483656)|(groupType:1.2.840.113556.1.4.803:=2147483652)|(groupType:1.2.840.113556.1.4.803:=2147483650)|(sAMAccountType=805306369)|(sAMAccountType=805306368)|(sAMAccountType=536870913)|(sAMAccountType=536870912)|(sAMAccountType=268435457)|(sAMAccountType=268435456)|(objectCategory=groupPolicyContainer)|(objectCategory=organizationalUnit)|(objectCategory=nTDSDSA)|(objectCategory=server)|(objectCategory=domain)|(objectCategory=person)|(objectClass=trustedDomain)|(primaryGroupID=521)|(primaryGroupID=516)|(primaryGroupID=515)|(primaryGroupID=512)|Domain Admins|objectGUID=*|(schemaIDGUID=*)|admincount=1", t, "|")
      for (i = 1; i <= k; i++) if (has("filter", t[i])) return 1
      return 0
    }`,
  },
  {
    // The corpus's rdp log is Zeek JSON (CTU-13): jq, addresses by hand (all IPv4 here; IPv6 by prefix).
    rule: 'sigmahq/rules/network/zeek/zeek_rdp_public_listener.yml',
    logs: [RDP_JSON],
    oracle: {
      jq: `
        def v4: split(".") | map(tonumber);
        def private: (."id.orig_h") as $a
          | if ($a | test("^[0-9.]+$")) then ($a | v4) as $o
              | $o[0] == 10 or $o[0] == 127 or ($o[0] == 172 and $o[1] >= 16 and $o[1] < 32)
                or ($o[0] == 192 and $o[1] == 168) or ($o[0] == 169 and $o[1] == 254)
            else ($a | ascii_downcase) as $l
              | $l == "::1" or ($l | test("^2620:83:80[0-9a-f]{2}:")) or ($l | test("^f[cd]")) or ($l | test("^fe[89ab]"))
            end;
        select(."id.orig_h" != null and (private | not))`,
    },
  },
  {
    // '\\\*\IPC$': an escaped backslash, an escaped (literal) star, then \IPC$ (no wildcard).
    rule: 'sigmahq/rules/network/zeek/zeek_smb_converted_win_atsvc_task.yml',
    logs: LOGS.smb_files,
    oracle: awk`function m() { return eq("path", "\\*\\IPC$") && eq("name", "atsvc") }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_smb_converted_win_impacket_secretdump.yml',
    logs: LOGS.smb_files,
    oracle: awk`function m() { return has("path", "\\") && has("path", "ADMIN$") && has("name", "SYSTEM32\\") && ew("name", ".tmp") }`,
  },
  {
    // \\*\IPC$: an escaped backslash, a wildcard, \IPC$.
    rule: 'sigmahq/rules/network/zeek/zeek_smb_converted_win_lm_namedpipe.yml',
    logs: LOGS.smb_files,
    oracle: awk`function m(   i, k, t, s1, known) {
      s1 = length(v("path")) >= 6 && sw("path", "\\") && ew("path", "\\IPC$")
      k = split("atsvc samr lsarpc winreg netlogon srvsvc protected_storage wkssvc browser netdfs svcctl spoolss ntsvcs LSM_API_service HydraLsPipe TermSrv_API_service MsFteWds", t, " ")
      for (i = 1; i <= k; i++) if (eq("name", t[i])) known = 1
      return s1 && !(s1 && known)
    }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_smb_converted_win_susp_psexec.yml',
    logs: LOGS.smb_files,
    oracle: awk`function m() {
      return has("path", "\\") && has("path", "\\IPC$") && (ew("name", "-stdin") || ew("name", "-stdout") || ew("name", "-stderr")) && !sw("name", "PSEXESVC")
    }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_smb_converted_win_susp_raccess_sensitive_fext.yml',
    logs: LOGS.smb_files,
    oracle: awk`function m(   i, k, t) {
      k = split(".pst .ost .msg .nst .oab .edb .nsf .bak .dmp .kirbi \\groups.xml .rdp", t, " ")
      for (i = 1; i <= k; i++) if (ew("name", t[i])) return 1
      return 0
    }`,
  },
  {
    // No wildcards: the names must equal these (with their backslashes).
    rule: 'sigmahq/rules/network/zeek/zeek_smb_converted_win_transferring_files_with_credential_data.yml',
    logs: LOGS.smb_files,
    oracle: awk`function m(   i, k, t) {
      k = split("\\mimidrv \\lsass \\windows\\minidump\\ \\hiberfil \\sqldmpr \\sam \\ntds.dit \\security", t, " ")
      for (i = 1; i <= k; i++) if (eq("name", t[i])) return 1
      return 0
    }`,
  },
  {
    rule: 'sigmahq/rules/network/zeek/zeek_susp_kerberos_rc4.yml',
    logs: LOGS.kerberos,
    oracle: awk`function m() { return eq("request_type", "TGS") && eq("cipher", "rc4-hmac") && !sw("service", "$") }`,
  },

  // ---- SigmaHQ rules/network/dns (category dns: Zeek's dns logs) ----
  {
    rule: 'sigmahq/rules/network/dns/net_dns_bad_etld.yml',
    eve: `ew_any([".duckdns.org", ".top", ".ddns.net", ".gl.at.ply.gg", ".portmap.io", ".icu", ".zapto.org", ".live", ".hopto.org", ".portmap.host", ".sbs", ".sytes.net", ".click", ".ydns.eu", ".site", ".cloud", ".no-ip.org", ".kozow.com", ".lat", ".pro"])`,
    logs: LOGS.dns,
    oracle: awk`function m(   i, k, t) {
      k = split(".duckdns.org .top .ddns.net .gl.at.ply.gg .portmap.io .icu .zapto.org .live .hopto.org .portmap.host .sbs .sytes.net .click .ydns.eu .site .cloud .no-ip.org .kozow.com .lat .pro", t, " ")
      for (i = 1; i <= k; i++) if (ew("query", t[i])) return 1
      return 0
    }`,
  },
  { rule: 'sigmahq/rules/network/dns/net_dns_c2_detection.yml', unsupported: AGGREGATION },
  {
    // |re is case-sensitive; (.*\.){6} is found in any query with six dots or more.
    rule: 'sigmahq/rules/network/dns/net_dns_cdn_cobaltstrike.yml',
    eve: `any(q[]; endswith("fastly.net") and ([scan("[.]")] | length) >= 6)`,
    logs: LOGS.dns,
    oracle: awk`function m(   q) { q = v("query"); return ew("query", "fastly.net") && gsub(/\./, ".", q) >= 6 }`,
  },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_external_service_interaction_domains.yml',
    eve: `has_any([".interact.sh", ".oast.pro", ".oast.live", ".oast.site", ".oast.online", ".oast.fun", ".oast.me", ".burpcollaborator.net", ".oastify.com", ".canarytokens.com", ".requestbin.net", ".dnslog.cn"])`,
    logs: LOGS.dns,
    oracle: awk`function m(   i, k, t) {
      k = split(".interact.sh .oast.pro .oast.live .oast.site .oast.online .oast.fun .oast.me .burpcollaborator.net .oastify.com .canarytokens.com .requestbin.net .dnslog.cn", t, " ")
      for (i = 1; i <= k; i++) if (has("query", t[i])) return 1
      return 0
    }`,
  },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_github_myjino_ru.yml',
    eve: `any_eq("ovz1.j19544519.pr46m.vps.myjino.ru")`,
    logs: LOGS.dns,
    oracle: awk`function m() { return eq("query", "ovz1.j19544519.pr46m.vps.myjino.ru") }`,
  },
  { rule: 'sigmahq/rules/network/dns/net_dns_high_bytes_out.yml', unsupported: AGGREGATION },
  { rule: 'sigmahq/rules/network/dns/net_dns_high_null_records_requests_rate.yml', unsupported: AGGREGATION },
  { rule: 'sigmahq/rules/network/dns/net_dns_high_requests_rate.yml', unsupported: AGGREGATION },
  { rule: 'sigmahq/rules/network/dns/net_dns_high_txt_records_requests_rate.yml', unsupported: AGGREGATION },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_hktl_ligolo_ng.yml',
    eve: `any_eq("webui.ligolo.ng")`,
    logs: LOGS.dns,
    oracle: awk`function m() { return eq("query", "webui.ligolo.ng") }`,
  },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_mal_cobaltstrike.yml',
    eve: `any_sw("aaa.stage.") or any_sw("post.1") or any_has(".stage.123456.")`,
    logs: LOGS.dns,
    oracle: awk`function m() { return sw("query", "aaa.stage.") || sw("query", "post.1") || has("query", ".stage.123456.") }`,
  },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_mal_dnscat2_tunneling.yml',
    eve: `any_sw("dnscat.")`,
    logs: LOGS.dns,
    oracle: awk`function m() { return sw("query", "dnscat.") }`,
  },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_pua_cryptocoin_mining_xmr.yml',
    eve: `has_any(["pool.minexmr.com", "fr.minexmr.com", "de.minexmr.com", "sg.minexmr.com", "ca.minexmr.com", "us-west.minexmr.com", "pool.supportxmr.com", "mine.c3pool.com", "xmr-eu1.nanopool.org", "xmr-eu2.nanopool.org", "xmr-us-east1.nanopool.org", "xmr-us-west1.nanopool.org", "xmr-asia1.nanopool.org", "xmr-jp1.nanopool.org", "xmr-au1.nanopool.org", "xmr.2miners.com", "xmr.hashcity.org", "xmr.f2pool.com", "xmrpool.eu", "pool.hashvault.pro"])`,
    logs: LOGS.dns,
    oracle: awk`function m(   i, k, t) {
      k = split("pool.minexmr.com fr.minexmr.com de.minexmr.com sg.minexmr.com ca.minexmr.com us-west.minexmr.com pool.supportxmr.com mine.c3pool.com xmr-eu1.nanopool.org xmr-eu2.nanopool.org xmr-us-east1.nanopool.org xmr-us-west1.nanopool.org xmr-asia1.nanopool.org xmr-jp1.nanopool.org xmr-au1.nanopool.org xmr.2miners.com xmr.hashcity.org xmr.f2pool.com xmrpool.eu pool.hashvault.pro", t, " ")
      for (i = 1; i <= k; i++) if (has("query", t[i])) return 1
      return 0
    }`,
  },
  {
    // dns.question.name is ECS's name of the query (Zeek's query).
    rule: 'sigmahq/rules/network/dns/net_dns_query_exfil_domain_or_suspicious_tld.yml',
    eve: `has_any(["ghostbin.com", "pastebin.com", "0bin.net", "privatebin.net", "mega.nz", "wetransfer.com", "sendspace.com", "anonfiles.com", "file.io", "mediafire.com", "transfer.sh", "gofile.io", "pixeldrain.com", "ufile.io", "temp.sh", "bashupload.com", "paste.ee", "hastebin.com", "dpaste.com"]) or (ew_any([".xyz", ".top", ".tk", ".ml", ".ga", ".cf", ".gq", ".pw", ".su", ".to", ".bazar", ".bit", ".coin", ".zip", ".mov", ".onion"]) and (ew_any([".com", ".net", ".io", ".co", ".org", ".gov", ".edu", ".uk", ".ca", ".au", ".de", ".fr", ".jp", ".us", ".int", ".mil"]) | not))`,
    logs: LOGS.dns,
    unsupported: /dns\.question\.name/,
    oracle: awk`function m(   i, k, t, exfil, tld, common) {
      k = split("ghostbin.com pastebin.com 0bin.net privatebin.net mega.nz wetransfer.com sendspace.com anonfiles.com file.io mediafire.com transfer.sh gofile.io pixeldrain.com ufile.io temp.sh bashupload.com paste.ee hastebin.com dpaste.com", t, " ")
      for (i = 1; i <= k; i++) if (has("query", t[i])) exfil = 1
      k = split(".xyz .top .tk .ml .ga .cf .gq .pw .su .to .bazar .bit .coin .zip .mov .onion", t, " ")
      for (i = 1; i <= k; i++) if (ew("query", t[i])) tld = 1
      k = split(".com .net .io .co .org .gov .edu .uk .ca .au .de .fr .jp .us .int .mil", t, " ")
      for (i = 1; i <= k; i++) if (ew("query", t[i])) common = 1
      return exfil || (tld && !common)
    }`,
  },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_susp_b64_queries.yml',
    eve: `any_has("==.")`,
    logs: LOGS.dns,
    oracle: awk`function m() { return has("query", "==.") }`,
  },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_susp_reddit_api.yml',
    eve: `any_eq("oauth.reddit.com") or any_eq("reddit.com")`,
    logs: LOGS.dns,
    oracle: awk`function m() { return eq("query", "oauth.reddit.com") || eq("query", "reddit.com") }`,
  },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_susp_telegram_api.yml',
    eve: `any_eq("api.telegram.org")`,
    logs: LOGS.dns,
    oracle: awk`function m() { return eq("query", "api.telegram.org") }`,
  },
  {
    // record_type and answer: the taxonomy's names of Zeek's qtype_name and answers.
    rule: 'sigmahq/rules/network/dns/net_dns_susp_txt_exec_strings.yml',
    eve: `any(rtype[]; . == "txt") and any([.dns.rdata?, (.dns.answers[]?.rdata)][] | select(. != null) | ascii_downcase; contains("iex") or contains("invoke-expression") or contains("cmd.exe"))`,
    logs: LOGS.dns,
    unsupported: /record_type|answer/,
    oracle: awk`function m() {
      return eq("qtype_name", "TXT") && (any_has("answers", "IEX") || any_has("answers", "Invoke-Expression") || any_has("answers", "cmd.exe"))
    }`,
  },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_tunneling_null_record_query.yml',
    // qtype_name is Zeek's name; Suricata's events have no such field.
    eve: `false`,
    logs: LOGS.dns,
    oracle: awk`function m() { return eq("qtype_name", "NULL") }`,
  },
  {
    rule: 'sigmahq/rules/network/dns/net_dns_wannacry_killswitch_domain.yml',
    eve: `eq_any(["ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.testing", "ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.test", "ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com", "ayylmaotjhsstasdfasdfasdfasdfasdfasdfasdf.com", "iuqssfsodp9ifjaposdfjhgosurijfaewrwergwea.com"])`,
    logs: LOGS.dns,
    oracle: awk`function m() {
      return eq("query", "ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.testing") || eq("query", "ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.test") ||
        eq("query", "ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com") || eq("query", "ayylmaotjhsstasdfasdfasdfasdfasdfasdfasdf.com") ||
        eq("query", "iuqssfsodp9ifjaposdfjhgosurijfaewrwergwea.com")
    }`,
  },
  {
    // QueryName is Sysmon's name of the query (Zeek's query).
    rule: 'sigmahq/rules/network/dns/net_dns_wildcard_dns_service.yml',
    eve: `ew_any([".nip.io", ".sslip.io", ".traefik.me", ".backname.io", ".xip.io"])`,
    logs: LOGS.dns,
    unsupported: /QueryName/,
    oracle: awk`function m() { return ew("query", ".nip.io") || ew("query", ".sslip.io") || ew("query", ".traefik.me") || ew("query", ".backname.io") || ew("query", ".xip.io") }`,
  },

  // ---- ours (test/data/sigma/local) ----
  {
    // record_type: the taxonomy's name of Zeek's qtype_name (Suricata: rrtype).
    rule: 'local/dns_avg_update_lookups.yml',
    logs: LOGS.dns,
    oracle: awk`function m() { return ew("query", ".avg.com") && eq("qtype_name", "TXT") }`,
    eve: `any(.dns.queries[]?, {rrname: .dns.rrname?, rrtype: .dns.rrtype?}; (.rrname // "" | ascii_downcase | endswith(".avg.com")) and (.rrtype // "" | ascii_downcase) == "txt")`,
  },
  // ----: rules that match real events of the corpus ----
  {
    // 'serv*w' at the end: Serv, anything, a final W.
    rule: 'local/zeek_dce_rpc_svcctl_remote_service.yml',
    logs: LOGS.dce_rpc,
    oracle: awk`function m(   o) { o = tolower(v("operation")); return eq("endpoint", "svcctl") && !isnull("operation") && o ~ /serv.*w$/ }`,
  },
  {
    // contains|all on a list: each value found in some element (not necessarily the same one).
    rule: 'local/zeek_dns_cdn_answers.yml',
    logs: LOGS.dns,
    oracle: awk`function m() {
      return ((any_has("answers", "l.google.com") && any_has("answers", "74.125.19.")) || any_ew("answers", ".akamai.net")) && !eq("qtype_name", "ptr")
    }`,
  },
  {
    // An unset qtype is not below 33; an unset rcode is null.
    rule: 'local/zeek_dns_netbios_z_bit.yml',
    logs: LOGS.dns,
    oracle: awk`function m() {
      return !isnull("id.resp_p") && n("id.resp_p") == 137 && isnull("rcode") && !isnull("qtype") && n("qtype") < 33 && !isnull("Z") && n("Z") > 0
    }`,
  },
  {
    // fieldref: vast's expressions compare fields with values, so the compiler may reject it (naming the modifier).
    rule: 'local/zeek_dns_mdns_same_port.yml',
    logs: LOGS.dns,
    unsupported: /fieldref/,
    oracle: awk`function m() { return !isnull("id.orig_p") && !isnull("id.resp_p") && n("id.orig_p") == n("id.resp_p") && eq("qtype_name", "PTR") }`,
  },
  {
    rule: 'local/zeek_http_script_downloads.yml',
    logs: LOGS.http,
    oracle: awk`function m() {
      return eq("method", "get") && !isnull("uri") && v("uri") ~ /\.(js|css)$/ && !isnull("response_body_len") && n("response_body_len") >= 10000 &&
        !isnull("status_code") && n("status_code") < 300 && !ew("host", ".google.com")
    }`,
  },
  {
    // Keywords: a string field of the event contains one (without case); 10.128.0.0/16 by its first two octets.
    rule: 'local/zeek_smb_mapping_share_keywords.yml',
    logs: LOGS.smb_mapping,
    oracle: awk`function m(   i, k, t, f, kw, o) {
      k = split("uid path service native_file_system share_type", f, " ")
      for (i = 1; i <= k; i++) if (has(f[i], "parkinggarage") || has(f[i], "snozberry") || has(f[i], "admin$")) kw = 1
      split(v("id.orig_h"), o, ".")
      return kw && !(o[1] == 10 && o[2] == 128)
    }`,
  },
  {
    rule: 'local/zeek_x509_google_wildcard_certificate.yml',
    logs: LOGS.x509,
    oracle: awk`function m() { return any_sw("san.dns", "*.") && has("certificate.subject", "o=google") }`,
  },
  {
    rule: 'local/zeek_conn_web_uploads.yml',
    logs: LOGS.conn,
    oracle: awk`function m() {
      return eq("proto", "tcp") && !isnull("orig_bytes") && n("orig_bytes") > 100000 && (n("id.resp_p") == 80 || n("id.resp_p") == 443)
    }`,
  },
];

/** Every Zeek TSV log of the corpus, for rules whose logsource is `product: zeek` alone. */
const zeekTsv = () =>
  readdirSync(dataset('zeek'))
    .filter((f) => f.endsWith('.log'))
    .map((f) => join('zeek', f));

const oracles = new Map<Case, string[]>();

/** The oracle's events of a case (computed once). */
function oracleOf(c: Case): string[] {
  let o = oracles.get(c);
  if (o === undefined) {
    o = computeOracle(c);
    oracles.set(c, o);
  }
  return o;
}

function computeOracle(c: Case): string[] {
  const logs = (c.logs ?? []).flatMap((l) => (l === 'ZEEK_ALL' ? zeekTsv() : [l])).map((l) => dataset(l));
  if (c.oracle === undefined) return [];
  if (typeof c.oracle === 'string') return [...awkOracle(c.oracle, logs), ...eveOracle(c)].sort();
  const out = execFileSync('jq', ['-c', c.oracle.jq, ...logs], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => jsonKey(JSON.parse(l) as Record<string, unknown>))
    .sort();
}

/** jq over the EVE dns events, for a category dns rule (`eve`); other rules do not apply to them. */
function eveOracle(c: Case): string[] {
  if (c.eve === undefined) return [];
  const program = `
    def q: [.dns.rrname?, (.dns.queries[]?.rrname)] | map(select(. != null) | ascii_downcase);
    def rtype: [.dns.rrtype?, (.dns.queries[]?.rrtype)] | map(select(. != null) | ascii_downcase);
    def any_eq($s): any(q[]; . == ($s | ascii_downcase));
    def any_has($s): any(q[]; contains($s | ascii_downcase));
    def any_sw($s): any(q[]; startswith($s | ascii_downcase));
    def any_ew($s): any(q[]; endswith($s | ascii_downcase));
    def eq_any($l): . as $e | any($l[]; . as $s | $e | any_eq($s));
    def has_any($l): . as $e | any($l[]; . as $s | $e | any_has($s));
    def ew_any($l): . as $e | any($l[]; . as $s | $e | any_ew($s));
    select(.event_type == "dns") | select(${c.eve})`;
  const out = execFileSync('jq', ['-c', program, dataset(EVE_DNS)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => jsonKey(JSON.parse(l) as Record<string, unknown>));
}

/** The events of `vast export json` as oracle keys. */
const keysOf = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => jsonKey(JSON.parse(l) as Record<string, unknown>))
    .sort();

describeDatasets('Sigma: SigmaHQ Zeek and DNS rules, and ours, on the shared corpus', () => {
  const built = existsSync(join(ROOT, 'dist', 'index.js'));
  let t: ReturnType<typeof tempDb>;

  beforeAll(() => {
    expect(built, 'npm run build first (integration tests run dist/)').toBe(true);
    t = tempDb();
    const input = Buffer.concat(zeekTsv().map((f) => readFileSync(dataset(f))));
    const z = vast(['-d', t.db, 'import', 'zeek'], { input });
    expect(z.stderr).toBe('');
    expect(z.status).toBe(0);
    const j = vast(['-d', t.db, 'import', 'zeek-json', '-t', 'zeek.rdp', '-r', dataset(RDP_JSON)]);
    expect(j.stderr).toBe('');
    expect(j.status).toBe(0);
    const e = vast(['-d', t.db, 'import', 'suricata', '-r', dataset(EVE_DNS)]);
    expect(e.stderr).toBe('');
    expect(e.status).toBe(0);
  }, 60_000);
  afterAll(() => t?.cleanup());

  /**
   * Every case's vast runs, started once the logs are imported, at most PARALLEL processes at a
   * time (each is mostly node's start-up and one scan: two cores, and `--threads 1` so that the
   * processes, not a scan's workers, share them). `vast sigma convert` takes many files and stops
   * at the first it cannot convert: one run converts every rule expected to convert (each one's
   * expression is its part of the output, under its `# title (id) FILE:LINE` line); a rule that
   * may fail, or all of them if that run fails, gets a run of its own.
   */
  const runs = new Map<Case, Promise<{ convert: Run; exported: Run }>>();
  beforeAll(() => {
    const limit = pool(PARALLEL);
    const fileOf = (c: Case) => join(SIGMA, c.rule);
    const alone = (c: Case) => limit(() => vastAsync(['sigma', 'convert', fileOf(c)]));
    const batch = limit(() =>
      vastAsync(['sigma', 'convert', ...CASES.filter((c) => !c.unsupported).map(fileOf)]),
    );
    for (const c of CASES) {
      const convert = c.unsupported
        ? alone(c)
        : batch.then((b) => (b.status === 0 ? { ...b, stdout: partOf(b.stdout, fileOf(c)) } : alone(c)));
      const exported = limit(() =>
        vastAsync(['-d', t.db, '--threads', '1', 'export', 'json'], { stdinFile: fileOf(c) }),
      );
      runs.set(
        c,
        Promise.all([convert, exported]).then(([convert, exported]) => ({ convert, exported })),
      );
    }
  });

  it('vendors every rule the table names, and the table names every vendored rule', () => {
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.yml') ? [join(d, e.name)] : [],
      );
    const files = walk(SIGMA)
      .map((f) => relative(SIGMA, f))
      .sort();
    expect([...CASES.map((c) => c.rule)].sort()).toEqual(files);
  });

  it('rules of SigmaHQ and every rule of ours match events of the corpus (by the oracle)', () => {
    const counts = Object.fromEntries(CASES.map((c) => [c.rule, oracleOf(c).length]));
    console.log(`oracle: events each rule matches\n${JSON.stringify(counts, null, 1)}`);
    expect(CASES.filter((c) => c.rule.startsWith('sigmahq/') && counts[c.rule]! > 0).length).toBeGreaterThan(
      0,
    );
    for (const c of CASES.filter((c) => c.rule.startsWith('local/')))
      expect(counts[c.rule], c.rule).toBeGreaterThan(0);
  });

  for (const c of CASES) {
    const name = `${c.rule}${c.oracle === undefined ? ' (unsupported)' : ''}`;
    const test = c.fails ? it.fails : it;
    test(name, { timeout: 120_000 }, async () => {
      const file = join(SIGMA, c.rule);
      const { convert, exported } = await runs.get(c)!;
      if (c.unsupported && (c.oracle === undefined || convert.status !== 0)) {
        // Not converted: a clear error naming the construct, with file:line:column.
        expect(convert.status, convert.stdout).not.toBe(0);
        expect(convert.stderr).toMatch(c.unsupported);
        expect(convert.stderr).toMatch(new RegExp(`${escapeRe(file)}:\\d+:\\d+`));
        expect(exported.status).not.toBe(0);
        expect(exported.stderr).toMatch(c.unsupported);
        return;
      }
      expect(convert.stderr).toBe('');
      expect(convert.status).toBe(0);
      // The rule's `# title (id) FILE:LINE` and its expression (restricted to its logsource's schemas).
      expect(convert.stdout).toMatch(new RegExp(`^# .* ${escapeRe(file)}:\\d+$`, 'm'));
      expect(convert.stdout).toMatch(/^(?!# ).*#schema == "/m);
      expect(exported.stderr).toBe('');
      expect(exported.status).toBe(0);
      expect(keysOf(exported.stdout)).toEqual(oracleOf(c));
    });
  }
});

const PARALLEL = 3;

/** The part of `vast sigma convert`'s output about `file`: from its `# ... FILE:LINE` line to the next such line. */
function partOf(stdout: string, file: string): string {
  const out: string[] = [];
  let mine = false;
  for (const line of stdout.split('\n')) {
    const header = /^# .* (\S+):\d+$/.exec(line);
    if (header) mine = header[1] === file;
    if (mine) out.push(line);
  }
  return out.join('\n');
}

/** A limiter: at most `n` of the functions it is given run at a time. */
function pool(n: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return <T>(f: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = () => {
        running++;
        f()
          .then(resolve, reject)
          .finally(() => {
            running--;
            waiting.shift()?.();
          });
      };
      if (running < n) start();
      else waiting.push(start);
    });
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
