"""x"""
import fairwatch.api.auth
