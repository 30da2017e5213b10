"""The page's style and its small script: marker links open the cited paragraph, copy buttons copy."""

from __future__ import annotations

CSS = """
#vk-sources { max-height: 640px; overflow-y: auto; }
.vk-turn > summary { cursor: pointer; font-weight: 600; margin: 6px 0; }
.vk-heading { font-size: 0.9em; color: var(--body-text-color-subdued); margin: 4px 0 8px; }
.vk-heading.vk-notfound { color: #b45309; font-weight: 600; }
.vk-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  margin-bottom: 10px; background: var(--background-fill-primary); transition: box-shadow 0.3s; }
.vk-source.vk-related { border-style: dashed; border-color: #d97706; }
.vk-source.vk-flash { box-shadow: 0 0 0 3px #f59e0b; }
.vk-title { font-weight: 600; margin-bottom: 4px; }
.vk-meta { font-size: 0.85em; color: var(--body-text-color-subdued); }
.vk-text { margin: 8px 0; line-height: 1.5; }
.vk-text mark { background: #fde68a; color: inherit; padding: 0 2px; }
.vk-ref { font-size: 0.85em; display: flex; gap: 8px; align-items: center; justify-content: space-between; }
.vk-copy { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 2px 8px;
  cursor: pointer; white-space: nowrap; background: var(--button-secondary-background-fill);
  font: inherit; font-size: 0.95em; }
.vk-empty { color: var(--body-text-color-subdued); padding: 12px; }
.vk-doc h3 { margin-top: 0; }
.vk-section { font-weight: 600; margin: 14px 0 6px; }
.vk-para { padding: 6px 0; border-bottom: 1px solid var(--border-color-primary); }
.vk-para.vk-heading { font-weight: 600; }
"""

HEAD = r"""
<script>
(() => {
  const copy = (text) => {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    return Promise.resolve();
  };
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest(".vk-copy");
    if (button) {
      copy(button.dataset.copy || "").then(() => {
        const label = button.textContent;
        button.textContent = "✓ Đã sao chép";
        setTimeout(() => { button.textContent = label; }, 1500);
      });
      return;
    }
    const link = event.target.closest && event.target.closest('a[href^="#nguon-"], a[href^="#gan-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    const turn = target.closest("details");
    if (turn) turn.open = true;
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.classList.add("vk-flash");
    setTimeout(() => target.classList.remove("vk-flash"), 1600);
  }, true);

  // Gradio's own words (toasts, login page, chat buttons) have no Vietnamese translation: swap them.
  const WORDS = {
    "Error": "Lỗi", "Warning": "Cảnh báo", "Info": "Thông báo", "Loading": "Đang tải",
    "Loading...": "Đang tải…", "Uploading...": "Đang tải lên…", "processing": "đang xử lý",
    "Use via API": "Dùng qua API", "Login": "Đăng nhập", "username": "Tên đăng nhập",
    "password": "Mật khẩu", "Incorrect Credentials": "Sai tên đăng nhập hoặc mật khẩu",
    "Connection errored out.": "Mất kết nối tới máy chủ.",
    "Lost connection due to leaving page. Rejoining queue...": "Mất kết nối; đang kết nối lại…",
    "Like": "Câu trả lời tốt", "Dislike": "Câu trả lời chưa tốt", "Copy message": "Sao chép",
    "Copied message": "Đã sao chép", "Clear": "Xóa hội thoại", "Download": "Tải về", "Copy": "Sao chép",
  };
  const SIZE = /^File\(s\) exceed the maximum allowed size of (.+?): (.+)$/;
  const say = (value) => {
    const text = (value || "").trim();
    if (Object.hasOwn(WORDS, text)) return value.replace(text, WORDS[text]);
    const big = text.match(SIZE);
    return big ? `Tệp vượt quá dung lượng cho phép (${big[1]}): ${big[2]}` : null;
  };
  const fix = (node) => {
    if (node.nodeType === 3) {
      const v = say(node.nodeValue);
      if (v !== null) node.nodeValue = v;
      return;
    }
    if (node.nodeType !== 1) return;
    for (const el of [node, ...node.querySelectorAll("[aria-label], [title], [placeholder]")]) {
      for (const attr of ["aria-label", "title", "placeholder"]) {
        const v = el.hasAttribute(attr) ? say(el.getAttribute(attr)) : null;
        if (v !== null) el.setAttribute(attr, v);
      }
    }
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) fix(t);
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "characterData") fix(change.target);
      else if (change.type === "attributes") fix(change.target);
      else change.addedNodes.forEach(fix);
    }
  }).observe(document.documentElement, {
    childList: true, subtree: true, characterData: true,
    attributes: true, attributeFilter: ["aria-label", "title", "placeholder"],
  });
  document.addEventListener("DOMContentLoaded", () => fix(document.body));
})();
</script>
"""
