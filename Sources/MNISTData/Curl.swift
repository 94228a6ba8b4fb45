// libcurl, loaded when a download starts: the one Swift file behind it.
//
// `vae download` is the only command that touches the network. Linking Foundation's URLSession
// (FoundationNetworking) made every command load libcurl and the thirty libraries behind it (TLS,
// Kerberos, LDAP …) at start-up: `vae --version` took 24 ms, a Foundation program without it 4 ms.
// So the library is opened with dlopen on first use, and its easy interface is called through the
// symbols dlsym finds. curl_easy_setopt and curl_easy_getinfo are C variadic functions; they are
// called through non-variadic pointer types with one integer or pointer argument, which the x86-64
// and AArch64 Linux calling conventions pass exactly as a variadic call does.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why libcurl could not be used (it is not installed, or lacks a function).
struct CurlUnavailable: Error, CustomStringConvertible {
    let description: String
}

/// The libcurl functions a download needs, from the shared library (opened once per process).
final class CurlLibrary: @unchecked Sendable {
    typealias Handle = OpaquePointer
    /// size_t callback(char *data, size_t size, size_t count, void *context): bytes taken, or any
    /// other number to stop the transfer.
    typealias WriteCallback = @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int
    /// int callback(void *context, curl_off_t downloadTotal, curl_off_t downloaded, curl_off_t uploadTotal,
    /// curl_off_t uploaded): nonzero stops the transfer.
    typealias ProgressCallback = @convention(c) (UnsafeMutableRawPointer?, Int64, Int64, Int64, Int64) -> Int32

    let easyInit: @convention(c) () -> Handle?
    let easyCleanup: @convention(c) (Handle?) -> Void
    let easyPerform: @convention(c) (Handle?) -> Int32
    let easyStrerror: @convention(c) (Int32) -> UnsafePointer<CChar>?
    private let setoptInteger: @convention(c) (Handle?, Int32, Int) -> Int32
    private let setoptPointer: @convention(c) (Handle?, Int32, UnsafeRawPointer?) -> Int32
    private let getinfoPointer: @convention(c) (Handle?, Int32, UnsafeMutableRawPointer?) -> Int32

    /// The names tried in turn: the versioned runtime library first (Debian's libcurl4), then the
    /// development symlink.
    static let libraryNames = ["libcurl.so.4", "libcurl.so", "libcurl.4.dylib", "libcurl.dylib"]

    /// The process's libcurl, opened and initialised on first use.
    static func shared() throws(CurlUnavailable) -> CurlLibrary {
        switch loaded {
        case .success(let library): return library
        case .failure(let error): throw error
        }
    }

    private static let loaded: Result<CurlLibrary, CurlUnavailable> = Result { () throws(CurlUnavailable) in
        try CurlLibrary(names: libraryNames)
    }

    /// Opens the first of `names` that loads and initialises libcurl (the process's one is `shared()`).
    init(names: [String]) throws(CurlUnavailable) {
        guard let library = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            throw CurlUnavailable(description: "libcurl is not installed (vae download needs it: apt-get install libcurl4), "
                                  + "or download the files yourself and pass their folder with --data")
        }
        func symbol<T>(_ name: String, as type: T.Type) throws(CurlUnavailable) -> T {
            guard let address = dlsym(library, name) else {
                throw CurlUnavailable(description: "the installed libcurl has no \(name); install libcurl4 7.55 or newer")
            }
            return unsafeBitCast(address, to: type)
        }
        let globalInit = try symbol("curl_global_init", as: (@convention(c) (Int) -> Int32).self)
        easyInit = try symbol("curl_easy_init", as: (@convention(c) () -> Handle?).self)
        easyCleanup = try symbol("curl_easy_cleanup", as: (@convention(c) (Handle?) -> Void).self)
        easyPerform = try symbol("curl_easy_perform", as: (@convention(c) (Handle?) -> Int32).self)
        easyStrerror = try symbol("curl_easy_strerror", as: (@convention(c) (Int32) -> UnsafePointer<CChar>?).self)
        setoptInteger = try symbol("curl_easy_setopt", as: (@convention(c) (Handle?, Int32, Int) -> Int32).self)
        setoptPointer = try symbol("curl_easy_setopt", as: (@convention(c) (Handle?, Int32, UnsafeRawPointer?) -> Int32).self)
        getinfoPointer = try symbol("curl_easy_getinfo", as: (@convention(c) (Handle?, Int32, UnsafeMutableRawPointer?) -> Int32).self)
        // CURL_GLOBAL_DEFAULT (SSL | Win32): once, before any handle, as libcurl asks.
        guard globalInit(3) == 0 else { throw CurlUnavailable(description: "libcurl could not initialise (curl_global_init failed)") }
    }

    // Option and information numbers from curl.h: the type's base (long 0, pointer 10000, function
    // 20000, curl_off_t 30000; information: long 0x200000, curl_off_t 0x600000) plus the number.
    enum Option: Int32 {
        case writeData = 10001, url = 10002, errorBuffer = 10010, progressData = 10057, writeFunction = 20011
        case progressFunction = 20219  // CURLOPT_XFERINFOFUNCTION
        case lowSpeedLimit = 19, lowSpeedTime = 20, noProgress = 43, followLocation = 52, noSignal = 99
        case connectTimeoutMilliseconds = 156
    }

    enum Info: Int32 {
        case responseCode = 0x200002, contentLengthDownload = 0x60000F
    }

    func set(_ handle: Handle, _ option: Option, _ value: Int) -> Int32 { setoptInteger(handle, option.rawValue, value) }

    func set(_ handle: Handle, _ option: Option, _ value: UnsafeRawPointer?) -> Int32 { setoptPointer(handle, option.rawValue, value) }

    /// A long or curl_off_t (both 64-bit on the platforms this builds for) the transfer reports.
    func info(_ handle: Handle, _ info: Info) -> Int? {
        var value = 0
        return getinfoPointer(handle, info.rawValue, &value) == 0 ? value : nil
    }

    /// libcurl's text for a result code.
    func describe(_ code: Int32) -> String {
        easyStrerror(code).map { String(cString: $0) } ?? "libcurl error \(code)"
    }
}
