//! Files and folders only the current user can read: the key, the data map
//! and output folders, which hold keyed hashes or personal data. On Unix
//! they are created with mode 0600 (folders 0700) where they are created;
//! on Windows, where a mode means nothing, [`owner_only`] gives them an
//! access-control list with one entry: full control for the current user,
//! nothing inherited from the folder above (so not "Everyone" or "Users").

use std::path::Path;

/// Make `path` (a file, or a `folder` whose new contents inherit the same)
/// readable only by the current user. On Unix this does nothing (the mode
/// was set when it was created). On Windows a file system without access
/// control (a FAT-formatted USB stick) is accepted as it is.
pub fn owner_only(path: &Path, folder: bool) -> std::io::Result<()> {
    #[cfg(windows)]
    return windows::owner_only(path, folder);
    #[cfg(not(windows))]
    {
        let _ = (path, folder);
        Ok(())
    }
}

/// The access-control list [`owner_only`] sets, in SDDL: protected (`P`:
/// nothing inherited) with one allow entry of full access (`FA`) for the
/// user `sid`, passed on to files and folders made inside a folder (`OICI`).
pub fn owner_only_sddl(sid: &str, folder: bool) -> String {
    let inherit = if folder { "OICI" } else { "" };
    format!("D:P(A;{inherit};FA;;;{sid})")
}

#[cfg(windows)]
mod windows {
    use std::io;
    use std::os::windows::ffi::OsStrExt;
    use std::path::Path;
    use std::ptr::null_mut;

    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, LocalFree};
    use windows_sys::Win32::Security::Authorization::{
        ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1, SE_FILE_OBJECT,
        SetNamedSecurityInfoW,
    };
    use windows_sys::Win32::Security::{
        ACL, DACL_SECURITY_INFORMATION, GetSecurityDescriptorDacl, GetTokenInformation,
        PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, TOKEN_QUERY, TOKEN_USER, TokenUser,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    /// ERROR_INVALID_FUNCTION and ERROR_NOT_SUPPORTED: no ACLs on this file system.
    const NO_ACLS: [i32; 2] = [1, 50];

    fn wide(s: &std::ffi::OsStr) -> Vec<u16> {
        s.encode_wide().chain(Some(0)).collect()
    }

    /// The current user's SID as a string (`S-1-5-21-...`).
    fn current_user_sid() -> io::Result<String> {
        // SAFETY: plain Win32 calls with valid out-pointers; the token is
        // closed and the string freed before returning.
        unsafe {
            let mut token: HANDLE = null_mut();
            if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) == 0 {
                return Err(io::Error::last_os_error());
            }
            let mut len = 0u32;
            GetTokenInformation(token, TokenUser, null_mut(), 0, &mut len);
            let mut buf = vec![0u64; (len as usize).div_ceil(8).max(1)];
            let ok = GetTokenInformation(token, TokenUser, buf.as_mut_ptr().cast(), len, &mut len);
            let error = io::Error::last_os_error();
            CloseHandle(token);
            if ok == 0 {
                return Err(error);
            }
            let user = &*(buf.as_ptr() as *const TOKEN_USER);
            let mut text = null_mut();
            if ConvertSidToStringSidW(user.User.Sid, &mut text) == 0 {
                return Err(io::Error::last_os_error());
            }
            let n = (0..).take_while(|&i| *text.add(i) != 0).count();
            let sid = String::from_utf16_lossy(std::slice::from_raw_parts(text, n));
            LocalFree(text.cast());
            Ok(sid)
        }
    }

    pub fn owner_only(path: &Path, folder: bool) -> io::Result<()> {
        let sddl = super::owner_only_sddl(&current_user_sid()?, folder);
        let sddl = wide(std::ffi::OsStr::new(&sddl));
        let name = wide(path.as_os_str());
        // SAFETY: the descriptor comes from Windows and is freed once; the
        // DACL pointer points into it and is used before the free.
        unsafe {
            let mut descriptor: PSECURITY_DESCRIPTOR = null_mut();
            if ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut descriptor,
                null_mut(),
            ) == 0
            {
                return Err(io::Error::last_os_error());
            }
            let (mut present, mut defaulted) = (0, 0);
            let mut dacl: *mut ACL = null_mut();
            let got = GetSecurityDescriptorDacl(descriptor, &mut present, &mut dacl, &mut defaulted);
            let status = if got == 0 {
                io::Error::last_os_error().raw_os_error().unwrap_or(1) as u32
            } else {
                SetNamedSecurityInfoW(
                    name.as_ptr(),
                    SE_FILE_OBJECT,
                    DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                    null_mut(),
                    null_mut(),
                    dacl,
                    null_mut(),
                )
            };
            LocalFree(descriptor);
            match status as i32 {
                0 => Ok(()),
                code if NO_ACLS.contains(&code) => Ok(()),
                code => Err(io::Error::from_raw_os_error(code)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_acl_names_one_user_and_inherits_nothing() {
        assert_eq!(super::owner_only_sddl("S-1-5-21-1-2-3-1001", false), "D:P(A;;FA;;;S-1-5-21-1-2-3-1001)");
        assert_eq!(super::owner_only_sddl("S-1-5-18", true), "D:P(A;OICI;FA;;;S-1-5-18)");
    }
}
